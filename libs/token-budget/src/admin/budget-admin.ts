import type { BudgetTarget, BudgetUsage, ResetOptions } from '../budget.types';
import { InvalidSubjectError } from '../invalid-subject.error';
import { subjectIds } from '../subject';
import type { BudgetScope } from '../budget-scope';
import type { ResolvedRule } from '../rules';
import type { StorageAdapter } from '../storage/storage-adapter.interface';
import type { BudgetSubject } from '../subject';
import type { AdminOptions, GrantAmount, LimitOverride, ListUsageQuery, SpendReport, SpendReportQuery } from './admin.types';
import { usageOf } from '../admission/budget-figures';
import { InvalidAdminRequestError } from './invalid-admin-request.error';
import { NANOS_PER_USD, nanosToUsd, usdToNanos } from '../pricing/money';
import { rankingKeys } from '../keys';
import { isTokenCount } from '../token-count';

/** What BudgetAdmin needs from BudgetService. */
export interface AdminHost {
  readonly storage: StorageAdapter;
  readonly prefix: string;
  now(): number;
  /** Every budget a call of the subject counts on (module rules, route budgets, `rules`), with its user's tier limits. */
  targets(subject: BudgetSubject, rules: AdminOptions['rules'], now: number): Promise<BudgetTarget[]>;
  /** Module rules and route budgets. */
  rules(): ResolvedRule[];
  /** The budget of `rule` for `id`, with the limit of the user's tier for a `user` rule. */
  target(rule: ResolvedRule, id: string, now: number): Promise<BudgetTarget>;
}

const DEFAULT_LIST_LIMIT = 10;
/** The scopes a subject can own budgets in (reset, grant and setLimit act on those it names). */
const OWN_SCOPES = ['user', 'tenant', 'key', 'session'] as const;

/** The admin side of BudgetService: credits, limit overrides, rankings and spend reports. */
export class BudgetAdmin {
  constructor(private readonly host: AdminHost) {}

  async reset(subject: BudgetSubject, options: ResetOptions = {}): Promise<void> {
    const targets = await this.ownTargets('reset', subject, options, this.host.now());
    const storage = this.host.storage;
    await storage.delete(targets.map((t) => t.counter.key));
    if (storage.unindex) await storage.unindex(targets.map((t) => t.counter.index!));
  }

  async grant(subject: BudgetSubject, amount: GrantAmount, options: AdminOptions = {}): Promise<BudgetUsage[]> {
    const call = 'grant';
    if (typeof amount !== 'object' || amount === null || (amount.tokens === undefined && amount.costUsd === undefined)) {
      throw InvalidAdminRequestError.create(
        call,
        `expected { tokens?, costUsd? }, got ${describe(amount)}`,
        'Pass the credits to add, e.g. grant(userId, { tokens: 10_000 }) or { costUsd: 5 }',
      );
    }
    if (amount.tokens !== undefined) assertCount(call, 'tokens', amount.tokens);
    const cost = amount.costUsd === undefined ? 0 : toNanos(call, amount.costUsd);
    const now = this.host.now();
    const targets = await this.targetsOrThrow(call, subject, options, now);
    const storage = this.require('grant', call);
    const states = await storage.grant!({ counters: targets.map((t) => t.counter), tokens: amount.tokens ?? 0, cost, now });
    return targets.map((target, i) => usageOf(target, states[i]));
  }

  async setLimit(subject: BudgetSubject, limits: LimitOverride | null, options: AdminOptions = {}): Promise<void> {
    const call = limits === null ? 'clearLimit' : 'setLimit';
    let tokens: number | null | undefined = null;
    let cost: number | null | undefined = null;
    if (limits !== null) {
      if (typeof limits !== 'object' || (limits.tokens === undefined && limits.costUsd === undefined)) {
        throw InvalidAdminRequestError.create(
          call,
          `expected { tokens?, costUsd? } or null, got ${describe(limits)}`,
          'Pass the new limit, e.g. setLimit(userId, { tokens: 500_000 }), or null to remove the override',
        );
      }
      if (limits.tokens !== undefined) assertCount(call, 'tokens', limits.tokens);
      tokens = limits.tokens;
      cost = limits.costUsd === undefined ? undefined : toNanos(call, limits.costUsd);
      if (cost === 0 && limits.costUsd !== 0) {
        throw InvalidAdminRequestError.create(
          call,
          `costUsd is ${describe(limits.costUsd)}, which rounds to 0 nano-dollars (unlimited)`,
          'Pass 0 for unlimited, else at least 0.000000001 USD',
        );
      }
    }
    const targets = await this.targetsOrThrow(call, subject, options, this.host.now());
    const storage = this.require('setLimit', call);
    await Promise.all(
      targets.map(({ counter }) => storage.setLimit!({ key: counter.override!.key, field: counter.override!.field, tokens, cost })),
    );
  }

  async listUsage(query: ListUsageQuery): Promise<BudgetUsage[]> {
    const call = 'listUsage';
    const limit = query?.limit ?? DEFAULT_LIST_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw InvalidAdminRequestError.create(call, `limit is ${describe(limit)}`, 'Pass a positive integer, e.g. { limit: 20 }');
    }
    if (query.orderBy !== undefined && query.orderBy !== 'tokens' && query.orderBy !== 'cost') {
      throw InvalidAdminRequestError.create(call, `orderBy is ${describe(query.orderBy)}`, "Order by 'tokens' or 'cost'");
    }
    const rule = this.pickRule(call, query);
    return this.ranked(call, rule, limit, query.orderBy ?? 'tokens');
  }

  async spendReport(query: SpendReportQuery = {}): Promise<SpendReport> {
    const call = 'spendReport';
    if (query.by !== undefined && query.by !== 'feature') {
      throw InvalidAdminRequestError.create(call, `by is ${describe(query.by)}`, "Report by 'feature'");
    }
    const candidates = this.host
      .rules()
      .filter((r) => r.scope === 'feature' && r.feature === undefined && (query.period === undefined || r.periodLabel === query.period));
    if (candidates.length === 0) {
      throw InvalidAdminRequestError.create(
        call,
        `no budget rule of scope 'feature'${query.period ? ` and period '${query.period}'` : ''} counts spend per feature`,
        `Add one to the module budgets, e.g. { scope: 'feature', period: '${query.period ?? 'month'}' } (no limit needed: it only counts)`,
      );
    }
    if (candidates.length > 1) {
      throw InvalidAdminRequestError.create(
        call,
        `several feature rules match (${candidates.map((r) => r.name).join(', ')})`,
        'Pass period to pick one',
      );
    }
    const rule = candidates[0];
    const usage = await this.ranked(call, rule, 0, 'tokens');
    const lines = usage.map((u) => ({ feature: u.id, tokens: u.used, reserved: u.reserved, costUsd: u.costUsd, requests: u.requests }));
    // money is summed in nano-dollars, so the total is exact
    const costNanos = lines.reduce((sum, line) => sum + usdToNanos(line.costUsd), 0);
    return {
      by: 'feature',
      period: rule.calculator.window(this.host.now()).key,
      rule: rule.name,
      tokens: lines.reduce((sum, line) => sum + line.tokens, 0),
      costUsd: nanosToUsd(costNanos),
      requests: lines.reduce((sum, line) => sum + line.requests, 0),
      lines,
    };
  }

  /** The rule's subjects in the current period, highest usage first (`limit` 0: all). */
  private async ranked(call: string, rule: ResolvedRule, limit: number, orderBy: 'tokens' | 'cost'): Promise<BudgetUsage[]> {
    const storage = this.require('list', call);
    const now = this.host.now();
    const keys = rankingKeys(this.host.prefix, rule, rule.calculator.window(now).key);
    const entries = await storage.list!({ key: orderBy === 'cost' ? keys.costKey : keys.key, limit, now });
    if (entries.length === 0) return [];
    const targets = await Promise.all(entries.map((entry) => this.host.target(rule, entry.member, now)));
    const states = await storage.read(
      targets.map((t) => t.counter),
      now,
    );
    const usage = targets.map((target, i) => usageOf(target, states[i]));
    // the figures just read are at least as recent as the ranking's scores: order by them
    return usage.sort(orderBy === 'cost' ? (a, b) => b.costUsd - a.costUsd : (a, b) => b.used - a.used);
  }

  private pickRule(call: string, query: ListUsageQuery): ResolvedRule {
    const rules = this.host
      .rules()
      .filter(
        (r) =>
          r.scope === query.scope &&
          (query.rule === undefined || r.name === query.rule) &&
          (query.period === undefined || r.periodLabel === query.period) &&
          (query.feature === undefined ? query.rule !== undefined || r.feature === undefined : r.feature === query.feature),
      );
    const wanted = JSON.stringify({ scope: query.scope, period: query.period, feature: query.feature, rule: query.rule });
    if (rules.length === 0) {
      const names = this.host.rules().map((r) => r.name);
      throw InvalidAdminRequestError.create(call, `no budget rule matches ${wanted}`, `Rules in force: ${names.join(', ') || 'none'}`);
    }
    if (rules.length > 1) {
      throw InvalidAdminRequestError.create(
        call,
        `several budget rules match ${wanted} (${rules.map((r) => r.name).join(', ')})`,
        'Pass period or rule to pick one',
      );
    }
    return rules[0];
  }

  private async targetsOrThrow(call: string, subject: BudgetSubject, options: AdminOptions, now: number): Promise<BudgetTarget[]> {
    const targets = (await this.ownTargets(call, subject, options, now)).filter(
      (t) => options.rule === undefined || t.rule.name === options.rule,
    );
    if (targets.length === 0) {
      throw InvalidAdminRequestError.create(
        call,
        `no budget applies to ${describe(subject)}${options.rule ? ` with rule '${options.rule}'` : ''}${options.scopes ? ` in scopes ${options.scopes.join(', ')}` : ''}`,
        'Name a subject that a module rule or route budget covers (add feature for route budgets), or pass scopes / rule',
      );
    }
    return targets;
  }

  /** The subject's own budgets (the scopes it names) or those of `options.scopes`; refuses empty ids. */
  private async ownTargets(call: string, subject: BudgetSubject, options: ResetOptions, now: number): Promise<BudgetTarget[]> {
    const ids = subjectIds(subject);
    for (const scope of OWN_SCOPES) {
      const id = ids[scope];
      if (id === undefined) continue;
      if (id === null || id === '' || (typeof id !== 'string' && typeof id !== 'number')) {
        throw InvalidSubjectError.create(scope, `${call}() was given ${JSON.stringify(id)}`);
      }
    }
    const scopes: readonly BudgetScope[] = options.scopes ?? OWN_SCOPES.filter((scope) => ids[scope] !== undefined);
    if (scopes.length === 0) {
      // e.g. { user: req.params.id } with the parameter missing: acting on nothing would look like success
      throw InvalidSubjectError.create(
        'subject',
        `${call}() was given no user, tenant, key or session id (${describe(subject)}); pass one, or scopes such as ['global']`,
      );
    }
    return (await this.host.targets(subject, options.rules, now)).filter((t) => scopes.includes(t.rule.scope));
  }

  private require(method: 'grant' | 'setLimit' | 'list', call: string): StorageAdapter {
    const storage = this.host.storage;
    if (typeof storage[method] !== 'function') {
      throw new Error(
        `${call}: the storage adapter ${storage.constructor.name} has no ${method}() method; implement it (see StorageAdapter) or use MemoryAdapter or RedisAdapter`,
      );
    }
    return storage;
  }
}

function assertCount(call: string, field: string, value: unknown): void {
  if (!isTokenCount(value)) {
    throw InvalidAdminRequestError.create(call, `${field} is ${describe(value)}`, `Pass a non-negative whole number of ${field}`);
  }
}

/** A USD amount to nano-dollars, refusing what cannot be stored exactly. */
function toNanos(call: string, usd: unknown): number {
  if (typeof usd !== 'number' || !Number.isFinite(usd) || usd < 0 || !Number.isSafeInteger(Math.round(usd * NANOS_PER_USD))) {
    throw InvalidAdminRequestError.create(call, `costUsd is ${describe(usd)}`, 'Pass a non-negative amount of USD, e.g. { costUsd: 2.5 }');
  }
  return usdToNanos(usd);
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
