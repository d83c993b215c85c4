import { TokenBudgetOptionsError } from '../token-budget-options.error';
import { validateOptions } from '../options/validate-options';
import type { MaybePromise } from '../maybe-promise';
import { ResolvedRule, resolveRule } from '../rules';
import type { ResolvedTier } from '../tiers/resolved-tier';
import { requestTier } from '../tiers/request-tier';
import { TierRules } from '../tiers/tier-rules';
import type { TierResolver } from '../tiers/tier.resolver';
import type { TokenBudgetModuleOptions } from '../token-budget-options.interface';
import type { BudgetRule } from '../budget-rule.interface';
import type { BudgetRequest } from '../budget-request';

/**
 * Every budget rule the module knows, and which of them a call counts on: the module's `budgets`,
 * the per-user budgets of `@TokenBudget()` routes (registered at boot), the rules passed to one
 * service call, and the limits of a user's tier laid over them.
 */
export class BudgetRuleRegistry {
  /** The module's `budgets`, resolved. */
  readonly moduleRules: readonly ResolvedRule[];
  private readonly routeRules = new Map<string, ResolvedRule>();
  private readonly callRules = new WeakMap<BudgetRule, ResolvedRule>();
  private readonly tierRules = new TierRules();

  constructor(
    private readonly options: TokenBudgetModuleOptions,
    private readonly tiers: TierResolver | undefined,
  ) {
    this.moduleRules = (options.budgets ?? []).map((rule) => resolveRule(rule));
  }

  /** Module rules and route budgets. */
  all(): ResolvedRule[] {
    return [...this.moduleRules, ...this.routeRules.values()];
  }

  /** True when any module or route budget has a token or money limit. */
  hasLimits(): boolean {
    const limited = (rule: ResolvedRule) => rule.tokens > 0 || rule.costLimit > 0;
    return this.moduleRules.some(limited) || [...this.routeRules.values()].some(limited);
  }

  /**
   * Registers the per-user budget of a `@TokenBudget()` route (found at boot), so the service knows
   * it too: `getUsage({ user, feature })` reports it, `check` and `reserve` apply it. One feature has
   * one route budget; two routes that share a feature must agree on it.
   */
  registerRouteRule(rule: BudgetRule & { feature: string }, where: string): void {
    const resolved = resolveRule(rule, this.options.routePeriod ?? 'month');
    const twin = this.moduleRules.find((moduleRule) => moduleRule.identity === resolved.identity);
    if (twin) {
      throw new TokenBudgetOptionsError([
        `@TokenBudget() of ${where}: the module budget '${twin.name}' already counts the same tokens (user, feature '${rule.feature}', ${twin.periodLabel}); set the limit in one place`,
      ]);
    }
    const existing = this.routeRules.get(rule.feature);
    if (!existing) {
      this.routeRules.set(rule.feature, resolved);
      return;
    }
    if (existing.identity !== resolved.identity || existing.tokens !== resolved.tokens || existing.maxCarryover !== resolved.maxCarryover) {
      throw new TokenBudgetOptionsError([
        `@TokenBudget() of ${where}: feature '${rule.feature}' already has another route budget (${existing.tokens} tokens per ${existing.periodLabel}); routes that share a feature share its budget, so give them the same limit or different features`,
      ]);
    }
  }

  /**
   * The rules that apply to calls of `feature`, in admission order: the module's, the feature's
   * route budget, then those of `extra` (rules passed to one service call) that count another counter.
   */
  rulesFor(feature: string | undefined, extra?: readonly BudgetRule[]): ResolvedRule[] {
    const route = feature === undefined ? undefined : this.routeRules.get(feature);
    const rules: ResolvedRule[] = [];
    const seen = new Set<string>();
    const add = (rule: ResolvedRule) => {
      if ((rule.feature !== undefined && rule.feature !== feature) || seen.has(rule.identity)) return;
      seen.add(rule.identity);
      rules.push(rule);
    };
    this.moduleRules.forEach(add);
    if (route) add(route);
    if (extra) for (const rule of extra) add(this.callRule(rule));
    return rules;
  }

  /** `rules` with the limits of `tier` (the same rules without one). */
  forTier(rules: readonly ResolvedRule[], tier: ResolvedTier | undefined): readonly ResolvedRule[] {
    return tier ? this.tierRules.apply(rules, tier) : rules;
  }

  /**
   * The tier whose budget overrides apply to a user: the one TierThrottlerGuard resolved for the
   * request, else the tier resolver's answer; `undefined` when no tier overrides budgets.
   */
  budgetTier(userId: unknown, req?: BudgetRequest): MaybePromise<ResolvedTier | undefined> {
    if (!this.tiers?.overridesBudgets) return undefined;
    const resolved = req === undefined ? undefined : requestTier(req);
    if (resolved) return resolved.userId === undefined ? undefined : resolved.tier;
    if (userId === undefined || userId === null || userId === '') return undefined;
    return this.tiers.resolve(String(userId), req);
  }

  /** `rule` (of scope `user`) with the limit of the user's tier. */
  async ruleForUser(rule: ResolvedRule, userId: string): Promise<ResolvedRule> {
    const tier = await this.budgetTier(userId);
    return tier ? this.tierRules.apply([rule], tier)[0] : rule;
  }

  /** A rule passed to one service call: validated and resolved once per rule object. */
  private callRule(rule: BudgetRule): ResolvedRule {
    let resolved = this.callRules.get(rule);
    if (!resolved) {
      validateOptions({ budgets: [rule] });
      this.callRules.set(rule, (resolved = resolveRule(rule)));
    }
    return resolved;
  }
}
