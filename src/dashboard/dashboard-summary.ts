import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  BudgetRule,
  BudgetScope,
  BudgetService,
  BudgetUsage,
  ListUsageQuery,
  SpendReport,
  SpendReportQuery,
  TokenBudgetModuleOptions,
} from 'nestjs-token-budget';
import { GATEWAY_BUDGET_OPTIONS } from '../config/gateway-config.module';
import { GatewayMetrics } from '../metrics/gateway-metrics';

const USER_FIELDS = ['id', 'used', 'reserved', 'costUsd', 'costReservedUsd', 'costLimitUsd', 'requests'] as const;

/** One user's bar on the dashboard: the figures of the user's budget, `limit` being its effective limit (`limit + carryover + granted`; 0 = unlimited). */
export type DashboardUser = Pick<BudgetUsage, (typeof USER_FIELDS)[number]> & { limit: number };

/** What `/admin` polls. */
export interface DashboardSummary {
  refreshedAt: string;
  /** The user rule ranked, e.g. `user:month`, and its period key. */
  rule: string | null;
  period: string | null;
  resetAt: string | null;
  /** Top users by committed tokens in the current period. */
  users: DashboardUser[];
  /** Spend of the current period by feature; `null` when no `feature` rule counts it. */
  spend: Pick<SpendReport, 'period' | 'tokens' | 'costUsd' | 'requests' | 'lines'> | null;
  /** Refusals since start-up, by reason (from the metrics counters). */
  rejections: Record<string, number>;
}

const TOP_USERS = 10;

/** Builds the dashboard's figures from BudgetService and the metrics counters. */
@Injectable()
export class DashboardSummaryService {
  private readonly logger = new Logger(DashboardSummaryService.name);
  /** `undefined` when no `user` rule counts usage per user. */
  private readonly ranking: ListUsageQuery | undefined;
  private readonly spendQuery: SpendReportQuery;

  constructor(
    private readonly budgets: BudgetService,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_BUDGET_OPTIONS) options: TokenBudgetModuleOptions,
  ) {
    this.ranking = userRanking(options);
    this.spendQuery = { by: 'feature', period: periodOf(firstRule(options, 'feature')) };
  }

  async summary(): Promise<DashboardSummary> {
    const [users, spend, rejections] = await Promise.all([this.topUsers(), this.spend(), this.metrics.rejectionCounts()]);
    const first = users[0];
    return {
      refreshedAt: new Date().toISOString(),
      rule: first?.name ?? null,
      period: first?.period ?? null,
      resetAt: first?.resetAt ? first.resetAt.toISOString() : null,
      users: users.map(toUser),
      spend,
      rejections,
    };
  }

  private async topUsers(): Promise<BudgetUsage[]> {
    if (!this.ranking) return [];
    try {
      return await this.budgets.listUsage(this.ranking);
    } catch (error) {
      this.logger.warn(`No user ranking for the dashboard: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    }
  }

  private async spend(): Promise<DashboardSummary['spend']> {
    try {
      const { period, tokens, costUsd, requests, lines } = await this.budgets.spendReport(this.spendQuery);
      return { period, tokens, costUsd, requests, lines };
    } catch {
      return null; // no feature rule: spend is not broken down
    }
  }
}

/**
 * The rule ranked: the first `user` rule of the budgets, named by its name or period (the library
 * asks to choose when several rules have the scope, e.g. a daily and a monthly one).
 */
function userRanking(options: TokenBudgetModuleOptions): ListUsageQuery | undefined {
  const rule = firstRule(options, 'user');
  if (!rule) return undefined;
  const query: ListUsageQuery = { scope: 'user', limit: TOP_USERS };
  return rule.name !== undefined ? { ...query, rule: rule.name } : { ...query, period: periodOf(rule) };
}

/** The first rule of a scope that is not bound to one feature. */
function firstRule(options: TokenBudgetModuleOptions, scope: BudgetScope): BudgetRule | undefined {
  return (options.budgets ?? []).find((r) => r.scope === scope && r.feature === undefined);
}

/** A rule's period as the library labels it (`every`, else `period`, else `month`). */
function periodOf(rule: BudgetRule | undefined): string | undefined {
  return rule && (rule.every ?? rule.period ?? 'month');
}

function toUser(usage: BudgetUsage): DashboardUser {
  const user = Object.fromEntries(USER_FIELDS.map((field) => [field, usage[field]])) as Pick<BudgetUsage, (typeof USER_FIELDS)[number]>;
  return { ...user, limit: usage.effectiveLimit };
}
