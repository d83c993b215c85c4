import { DEFAULT_PRICE_KEY, type TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { requestFeesOf } from './request-fees';
import { POLICY_ROUTES, routePolicyOf, type PolicyRoute, type RequestPolicyOptions, type ResolvedRoutePolicy } from './request-policy';

/** DI token of the {@link ResolvedRequestPolicy} in force. */
export const REQUEST_POLICY = Symbol('REQUEST_POLICY');

/** The request policy with every default filled in, per route. */
export interface ResolvedRequestPolicy {
  routes: Readonly<Record<PolicyRoute, ResolvedRoutePolicy>>;
  unpricedModels: RequestPolicyOptions['unpricedModels'] & {};
  paidUpstream: 'auto' | boolean;
  unknownBetas: 'refuse' | 'drop';
  /** Where each part came from, for refusal messages and the banner. */
  source: string;
}

/**
 * The policy in force: the environment's, then the config file's `requestPolicy` section, then the
 * gateway's `requestPolicy` option, each setting only the fields it names (routes by route).
 */
export function resolveRequestPolicy(layers: { options: RequestPolicyOptions; source: string }[]): ResolvedRequestPolicy {
  const merged: RequestPolicyOptions = {};
  for (const { options } of layers) {
    const { routes, ...top } = options;
    Object.assign(merged, Object.fromEntries(Object.entries(top).filter(([, v]) => v !== undefined)));
    for (const [route, rules] of Object.entries(routes ?? {})) {
      merged.routes = { ...merged.routes, [route]: { ...merged.routes?.[route as PolicyRoute], ...rules } };
    }
  }
  return {
    routes: Object.fromEntries(POLICY_ROUTES.map((route) => [route, routePolicyOf(merged, route)])) as Record<
      PolicyRoute,
      ResolvedRoutePolicy
    >,
    unpricedModels: merged.unpricedModels ?? 'refuse',
    paidUpstream: merged.paidUpstream ?? 'auto',
    unknownBetas: merged.unknownBetas ?? 'refuse',
    source: layers.map((l) => l.source).join(', ') || 'defaults',
  };
}

/**
 * Budget options the policy needs: the fees of priced server tools held and charged through the
 * library's `requestFeesUsd`, and, when unpriced models are held at a price, that price as the
 * `pricing` option's `'*'` entry (unless the options price `'*'` themselves).
 */
export function withRequestPolicy(options: TokenBudgetModuleOptions, policy: ResolvedRequestPolicy): TokenBudgetModuleOptions {
  const own = options.requestFeesUsd;
  const requestFeesUsd = (req: Parameters<NonNullable<TokenBudgetModuleOptions['requestFeesUsd']>>[0]) =>
    (own?.(req) ?? 0) + (requestFeesOf(req) ?? 0);
  const unpriced = policy.unpricedModels;
  const pricing =
    unpriced !== 'refuse' && !Object.keys(options.pricing ?? {}).some((k) => k.trim() === DEFAULT_PRICE_KEY)
      ? { ...options.pricing, [DEFAULT_PRICE_KEY]: unpriced }
      : options.pricing;
  return { ...options, requestFeesUsd, ...(pricing ? { pricing } : {}) };
}

/** True when some budget of the options has a cost limit (then an unpriced model is a way around it). */
export function hasCostBudgets(options: TokenBudgetModuleOptions): boolean {
  return (options.budgets ?? []).some((rule) => (rule.costUsd ?? 0) > 0);
}
