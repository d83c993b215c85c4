import type { BudgetRule, TierOptions, TokenBudgetModuleOptions } from 'nestjs-token-budget';
import type { GatewayUser } from './gateway-user';

type KeyedRequest = { user?: GatewayUser } | undefined;

/**
 * The budget of each virtual key: tokens per month counted per key id. Unlimited as a rule; a key
 * created with a `token_budget` gets it as its own limit (`BudgetService.setLimit({ key }, ...)`).
 */
export const KEY_BUDGET_RULE: BudgetRule = {
  scope: 'key',
  id: (req: KeyedRequest) => req?.user?.keyId,
  period: 'month',
  tokens: 0,
  name: 'key:month',
};

/** Ids the caller's key gives the rules that name none (a config file cannot name a resolver). */
const KEY_IDS: Partial<Record<BudgetRule['scope'], (req: KeyedRequest) => string | undefined>> = {
  tenant: (req) => req?.user?.tenantId,
  key: (req) => req?.user?.keyId,
};

/** The tier a request's key carries (`undefined`: the tiers' default). */
export const keyTier: NonNullable<TierOptions['resolve']> = (_userId, req: KeyedRequest) => req?.user?.tier;

/**
 * Budget options with what virtual keys need: the per-key budget rule (unless the options already
 * count a `key` scope), the caller's tenant and key ids for `tenant` and `key` rules without an
 * `id` (else such a rule, e.g. from `TOKEN_BUDGET_CONFIG`, would apply to no request) and, when tiers are configured without a resolver, tiers read from the
 * caller's key on every request (no cache: a key's tier applies from its first request).
 */
export function withVirtualKeys(options: TokenBudgetModuleOptions): TokenBudgetModuleOptions {
  const budgets = (options.budgets ?? []).map((rule) => (rule.id || !KEY_IDS[rule.scope] ? rule : { ...rule, id: KEY_IDS[rule.scope] }));
  const tiers = options.tiers;
  return {
    ...options,
    budgets: budgets.some((rule) => rule.scope === 'key') ? budgets : [...budgets, KEY_BUDGET_RULE],
    ...(tiers && !tiers.resolve ? { tiers: { ...tiers, resolve: keyTier, cacheTtlMs: 0 } } : {}),
  };
}
