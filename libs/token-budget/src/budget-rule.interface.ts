import type { BudgetRequest } from './budget-request';
import type { BudgetScope } from './budget-scope';
import type { EstimateInput } from './estimation/usage-estimate';
import type { BudgetPeriod } from './periods';

/** Reads an id from the request; return `undefined` when it does not apply to this request. */
export type IdResolver = (req: BudgetRequest) => string | number | undefined | null;

/**
 * Estimates a request before the handler runs: a token total or a `{ inputTokens, outputTokens,
 * model }` estimate (which cost budgets can price).
 */
export type EstimateFn = (req: BudgetRequest) => EstimateInput | Promise<EstimateInput>;

/** Carry a period's unused tokens into the next one, up to a cap. */
export interface RolloverOptions {
  /** @default true when the object is given */
  enabled?: boolean;
  /**
   * Largest bonus a period can receive: `bonus = min(previousEffectiveLimit - previousUsed, maxCarryover)`.
   * @default the rule's token limit
   */
  maxCarryover?: number;
}

/**
 * A budget: a token limit per period for one scope.
 *
 * @example
 * { scope: 'user', period: 'month', tokens: 100_000, rollover: { enabled: true, maxCarryover: 50_000 } }
 * { scope: 'tenant', id: (req) => req.user?.orgId, period: 'day', tokens: 2_000_000, timezone: 'Europe/Paris' }
 * { scope: 'global', every: '15m', tokens: 500_000 }
 */
export interface BudgetRule {
  scope: BudgetScope;
  /**
   * Token limit per period; 0 means unlimited (usage is still counted).
   * @default 0
   */
  tokens?: number;
  /**
   * Spend limit per period in USD, enforced at admission beside `tokens` (calls are priced by
   * model); 0 means unlimited, else at least 0.000000001 (one nano-dollar). Money does not roll over.
   * @default 0
   * @example { scope: 'tenant', id: (req) => req.user?.orgId, period: 'month', costUsd: 500 }
   */
  costUsd?: number;
  /**
   * Calendar period. Ignored when `every` is set.
   * @default 'month'
   */
  period?: BudgetPeriod;
  /** Fixed windows numbered from the epoch instead of a calendar period: `'30s'`, `'15m'`, `'6h'`, `'2d'`. */
  every?: string;
  /**
   * IANA time zone in which calendar periods start.
   * @default 'UTC'
   */
  timezone?: string;
  rollover?: RolloverOptions;
  /**
   * How the guard finds this scope's id on a request. Defaults: `user` uses `extractUserId`,
   * `global` needs none, `feature` uses the route's feature; `tenant`, `key` and `session` need one
   * (a rule whose id resolves to nothing does not apply to that request).
   */
  id?: IdResolver;
  /** Only count requests to this feature (see `@TokenBudget({ feature })`). */
  feature?: string;
  /** A name for this rule in usage reports. Default: `<scope>:<period>`. */
  name?: string;
  /**
   * Soft limits: fractions of the effective limit at which a `threshold` event fires (see
   * `BudgetService.events$`), once per subject and period, across all instances.
   * @default []
   * @example thresholds: [0.8, 0.9]
   */
  thresholds?: number[];
  /**
   * What happens to a call that does not fit this budget: `'reject'` refuses it (429), `'warn'`
   * admits it, counts its usage and emits an `exceeded` event with `action: 'warned'`.
   * @default 'reject'
   * @example { scope: 'tenant', id: (req) => req.user.orgId, tokens: 5_000_000, onExceeded: 'warn' }
   */
  onExceeded?: 'reject' | 'warn';
}
