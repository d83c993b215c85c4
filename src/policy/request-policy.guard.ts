import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { lookUpModelPrice, type TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { GATEWAY_BUDGET_OPTIONS } from '../config/gateway-config.module';
import { ANTHROPIC_UPSTREAM, OPENAI_UPSTREAM, type Upstream } from '../upstream/upstream';
import { bodyFindings, type BodyFinding } from './body-findings';
import { isPaidUpstream } from './paid-upstream';
import { POLICY_ERROR_CODES, PolicyRefusal } from './policy-refusal';
import { POLICY_ROUTE } from './policy-route.decorator';
import { setRequestFees } from './request-fees';
import type { PolicyRoute, ResolvedRoutePolicy } from './request-policy';
import { hasCostBudgets, REQUEST_POLICY, type ResolvedRequestPolicy } from './resolved-policy';

type PolicyRequest = { body: Record<string, unknown>; headers: Record<string, string | string[] | undefined> };

const HOW = 'in the requestPolicy section of TOKEN_BUDGET_CONFIG (or the gateway environment)';

/**
 * Applies the request policy before anything is held (after the key and the body's `model` are
 * checked, before the tier's rate and the budgets): a body field, server tool, stored-object
 * reference or beta flag the policy does not allow is refused with 400 `policy_refused`, a model
 * it cannot price on a paid upstream under a cost budget with 400 `unpriced_model`; neither is
 * forwarded nor counted. Priced server tools leave their fees on the request for the hold.
 */
@Injectable()
export class RequestPolicyGuard implements CanActivate {
  private readonly costLimited: boolean;

  constructor(
    private readonly reflector: Reflector,
    @Inject(REQUEST_POLICY) private readonly policy: ResolvedRequestPolicy,
    @Inject(GATEWAY_BUDGET_OPTIONS) private readonly budget: TokenBudgetModuleOptions,
    @Inject(OPENAI_UPSTREAM) private readonly openai: Upstream,
    @Inject(ANTHROPIC_UPSTREAM) private readonly anthropic: Upstream,
  ) {
    this.costLimited = hasCostBudgets(budget);
  }

  canActivate(context: ExecutionContext): boolean {
    const route = this.reflector.get<PolicyRoute | undefined>(POLICY_ROUTE, context.getHandler());
    if (!route) return true;
    const req = context.switchToHttp().getRequest<PolicyRequest>();
    const rules = this.policy.routes[route];
    checkFields(route, rules, req.body);
    let fees = 0;
    for (const finding of bodyFindings(route, req.body)) fees += this.allowed(route, rules, finding);
    if (route === 'messages') this.checkBetas(rules, req);
    this.checkModel(route, String(req.body.model));
    if (fees > 0) setRequestFees(req, fees);
    return true;
  }

  /** The fee of an allowed finding (0 unless a priced tool); throws for one the policy refuses. */
  private allowed(route: PolicyRoute, rules: ResolvedRoutePolicy, finding: BodyFinding): number {
    const at = `requestPolicy.routes.${route}`;
    switch (finding.kind) {
      case 'background':
        if (rules.background) return 0;
        throw new PolicyRefusal(
          `The gateway does not forward background mode (background: true): the answer comes later, so its usage cannot be charged to your budget. Send the request without it, or ask the operator to allow it (${at}.background: true ${HOW}, or POLICY_ALLOW_BACKGROUND=1).`,
          finding.param,
        );
      case 'stored':
        if (rules.storedObjects) return 0;
        throw new PolicyRefusal(
          `The gateway does not forward references to objects stored in the provider account (${finding.param}: ${finding.what}): what they add to the call cannot be counted beforehand. Send the content inline, or ask the operator to allow them (${at}.storedObjects: true ${HOW}, or POLICY_ALLOW_STORED_OBJECTS=1).`,
          finding.param,
        );
      case 'tool': {
        const price = rules.tools[finding.tool];
        if (price !== undefined) return price * finding.calls;
        throw new PolicyRefusal(
          `The gateway does not forward the server-side tool '${finding.tool}' (${finding.param}): the provider bills it per use, beyond the tokens your budget counts. Remove it, or ask the operator to allow it with a price per call (${at}.tools.${finding.tool}: 0.01 ${HOW}, or POLICY_SERVER_TOOLS=${finding.tool}=0.01; 0 forwards it without an extra charge).`,
          finding.param,
        );
      }
    }
  }

  /** `anthropic-beta` values not allowed: refused, or dropped from the forwarded header. */
  private checkBetas(rules: ResolvedRoutePolicy, req: PolicyRequest): void {
    const header = req.headers['anthropic-beta'];
    if (header === undefined) return;
    const values = (Array.isArray(header) ? header.join(',') : header)
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    const unknown = values.filter((v) => !rules.betas.has(v));
    if (!unknown.length) return;
    if (this.policy.unknownBetas === 'drop') {
      const kept = values.filter((v) => rules.betas.has(v));
      if (kept.length) req.headers['anthropic-beta'] = kept.join(',');
      else delete req.headers['anthropic-beta'];
      return;
    }
    const shown = unknown[0].slice(0, 80);
    throw new PolicyRefusal(
      `The gateway does not forward the beta flag '${shown}' (anthropic-beta header): beta features may be billed in ways your budget cannot see. Send the request without it, or ask the operator to allow it (requestPolicy.routes.messages.betas: [${shown}] ${HOW}, or POLICY_ANTHROPIC_BETAS=${shown}).`,
      'anthropic-beta',
    );
  }

  /** A model no price covers, on a paid upstream, while some budget limits cost: refused. */
  private checkModel(route: PolicyRoute, model: string): void {
    if (!this.costLimited) return;
    const upstream = route === 'messages' ? this.anthropic : this.openai;
    if (!isPaidUpstream(upstream, this.policy.paidUpstream)) return;
    const { source } = lookUpModelPrice(model, this.budget.pricing);
    if (source !== 'local' && source !== 'unknown') return;
    const shown = model.length > 80 ? `${model.slice(0, 80)}...` : model;
    throw new PolicyRefusal(
      `The gateway cannot price the model '${shown}' (${source === 'local' ? 'a local-looking name:tag' : 'unknown to its price catalog'}), and its upstream bills per token: a cost budget could not hold it. Use a priced model, or ask the operator to price it (pricing: { '${shown}': { input, output } } in TOKEN_BUDGET_CONFIG) or to hold unpriced models at a default price (requestPolicy.unpricedModels: { input: 5, output: 15 }, or UNPRICED_MODEL_PRICE=5,15).`,
      'model',
      POLICY_ERROR_CODES.unpricedModel,
    );
  }
}

/** The route's field rules: its strict allow-list, then the fields it refuses. */
function checkFields(route: PolicyRoute, rules: ResolvedRoutePolicy, body: Record<string, unknown>): void {
  for (const field of Object.keys(body)) {
    const refused = rules.refuseFields.has(field) || (rules.fields !== undefined && !rules.fields.has(field));
    if (!refused) continue;
    const shown = field.slice(0, 80);
    throw new PolicyRefusal(
      `The gateway does not forward the field '${shown}' on this route (its request policy ${rules.fields ? 'lists the fields it forwards' : 'refuses it'}). Send the request without it, or ask the operator to allow it (requestPolicy.routes.${route}.${rules.fields ? 'fields' : 'refuseFields'} ${HOW}).`,
      shown,
    );
  }
}
