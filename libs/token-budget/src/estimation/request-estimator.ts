import { Logger } from '@nestjs/common';
import type { TokenBudgetModuleOptions } from '../token-budget-options.interface';
import type { EstimateFn } from '../budget-rule.interface';
import type { BudgetRequest } from '../budget-request';
import type { TokenBudgetRouteOptions } from '../token-budget-route-options';
import type { CapMaxTokensOptions } from './hold-options';
import { DEFAULT_FAIR_MIN_OUTPUT_TOKENS, DEFAULT_FAIR_SHARE, OutputLowering } from './fair-output';
import { FairHoldOptions } from './hold-options';
import { DEFAULT_MAX_OUTPUT_TOKENS, estimateRequestBody, RequestBodyEstimate } from './estimate-request-body';
import { then } from '../maybe-promise';
import type { EstimateInput } from './usage-estimate';

/** How a route estimates its requests, resolved once per route from its options and the module's. */
export interface RouteEstimation {
  /** The route's own `estimate`, if it has one. */
  estimate: EstimateInput | EstimateFn | undefined;
  /** Output tokens assumed when a body sets no output limit. */
  defaultMaxOutputTokens: number;
  /** `minOutputTokens` when `capMaxTokens` is on; `undefined` when off. */
  capMinOutputTokens: number | undefined;
  /** How a body-estimated request is lowered (`fairHolds`, else `capMaxTokens` as a share of 1); `undefined` when neither is on. */
  lowering: OutputLowering | undefined;
  /** Whether the body's output limit is set to the output held (`enforceOutputLimit`). */
  enforceOutputLimit: boolean;
}

export function routeEstimationOf(route: TokenBudgetRouteOptions, options: TokenBudgetModuleOptions): RouteEstimation {
  const cap = route.capMaxTokens ?? options.capMaxTokens ?? false;
  const fair = route.fairHolds ?? options.fairHolds ?? false;
  const capMinOutputTokens = cap === false ? undefined : ((cap === true ? undefined : (cap as CapMaxTokensOptions).minOutputTokens) ?? 1);
  return {
    estimate: route.estimate,
    defaultMaxOutputTokens: route.defaultMaxOutputTokens ?? options.defaultMaxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    capMinOutputTokens,
    lowering:
      fair !== false
        ? fairLowering(fair)
        : capMinOutputTokens !== undefined
          ? { share: 1, minOutputTokens: capMinOutputTokens, maxOutputTokens: undefined }
          : undefined,
    enforceOutputLimit: route.enforceOutputLimit ?? options.enforceOutputLimit ?? true,
  };
}

function fairLowering(fair: true | FairHoldOptions): OutputLowering {
  const options = fair === true ? {} : fair;
  return {
    share: options.share ?? DEFAULT_FAIR_SHARE,
    minOutputTokens: options.minOutputTokens ?? DEFAULT_FAIR_MIN_OUTPUT_TOKENS,
    maxOutputTokens: options.maxOutputTokens,
  };
}

/**
 * What a request holds: the route's `estimate`; else the estimate read from its body (OpenAI,
 * Anthropic, Gemini); else the module's `defaultEstimate`; else 0. Reading the body never fails a
 * request: a body that cannot be read falls back, logged once per route.
 */
export class RequestEstimator {
  private readonly logger = new Logger('TokenBudget');
  /** Routes already warned about, per warning. */
  private readonly warnedUnread = new Set<string>();
  private readonly warnedFailed = new Set<string>();

  constructor(
    private readonly options: TokenBudgetModuleOptions,
    private readonly hasLimits: () => boolean,
  ) {}

  estimate(req: BudgetRequest, route: RouteEstimation, where: string): EstimateInput | Promise<EstimateInput> {
    const fees = this.options.requestFeesUsd?.(req);
    if (!fees) return this.tokens(req, route, where);
    const estimate = this.tokens(req, route, where);
    const withFees = (e: EstimateInput): EstimateInput => (typeof e === 'number' ? e : { ...e, feesUsd: (e.feesUsd ?? 0) + fees });
    return then(estimate, withFees);
  }

  private tokens(req: BudgetRequest, route: RouteEstimation, where: string): EstimateInput | Promise<EstimateInput> {
    if (route.estimate !== undefined) return typeof route.estimate === 'function' ? route.estimate(req) : route.estimate;
    const fromBody = this.fromBody(req, route, where);
    if (fromBody) return fromBody;
    const fallback = this.options.defaultEstimate;
    if (fallback === undefined) {
      if (!this.warnedUnread.has(where) && this.hasLimits()) {
        this.warnOnce(
          this.warnedUnread,
          where,
          `${where}: the request body is not an OpenAI, Anthropic or Gemini request, so it holds 0 tokens and concurrent requests can pass a limit together; give @TokenBudget({ estimate }) or the module defaultEstimate`,
        );
      }
      return 0;
    }
    return typeof fallback === 'function' ? fallback(req) : fallback;
  }

  private fromBody(req: BudgetRequest, route: RouteEstimation, where: string): RequestBodyEstimate | undefined {
    try {
      return estimateRequestBody(req?.body, { defaultMaxOutputTokens: route.defaultMaxOutputTokens });
    } catch (error) {
      this.warnOnce(
        this.warnedFailed,
        where,
        `${where}: estimating a request from its body failed (${error instanceof Error ? error.message : String(error)}); it falls back to defaultEstimate`,
      );
      return undefined;
    }
  }

  private warnOnce(warned: Set<string>, where: string, message: string): void {
    if (warned.has(where)) return;
    warned.add(where);
    this.logger.warn(message);
  }
}
