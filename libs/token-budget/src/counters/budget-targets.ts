import type { BudgetTarget } from '../budget.types';
import { checkedSubjectId } from '../admission/request-identity';
import { counterKey, overrideKey, rankingKeys, subjectTag } from '../keys';
import type { ResolvedRule } from '../rules';
import type { BudgetCounter } from '../storage/storage-adapter.interface';
import { BudgetSubjectIds, idForScope } from '../subject';
import { EXPIRY_MARGIN_MS } from '../token-budget.constants';
import type { BudgetRequest } from '../budget-request';

/** Subjects whose counters are kept built per rule and period. */
const TARGET_CACHE_SIZE = 10_000;

/** Key of the hidden property that links a counter to its budget (for events). */
const COUNTER_TARGET = Symbol('tokenbudget.counterTarget');

/** The budget a counter built by {@link BudgetTargets} belongs to (`undefined` for a counter built elsewhere). */
export function targetOfCounter(counter: BudgetCounter): BudgetTarget | undefined {
  return (counter as { [COUNTER_TARGET]?: BudgetTarget })[COUNTER_TARGET];
}

/**
 * The id a rule gives a call: for an HTTP request (`req` given) the rule's own `id(req)` when it
 * has one; else the subject's id for the rule's scope (`global` is always `'all'`, `feature` the
 * call's feature). `undefined`, `null` and `''` mean the rule does not apply.
 */
export function ruleIdOf(rule: ResolvedRule, ids: BudgetSubjectIds, req: BudgetRequest | undefined): string | number | undefined | null {
  if (rule.scope === 'feature') return ids.feature;
  if (req !== undefined && rule.id) return rule.id(req);
  return idForScope(ids, rule.scope);
}

/** Builds the counters (storage keys, limits, ranking index) of budgets, once per subject and period. */
export class BudgetTargets {
  private readonly cache = new WeakMap<ResolvedRule, { periodKey: string; byId: Map<string, BudgetTarget> }>();

  constructor(
    private readonly prefix: string,
    private readonly maxIdLength: number,
  ) {}

  /**
   * The budgets of `rules` (already chosen for the call's feature), each with the id
   * {@link ruleIdOf} gives it; rules whose id resolves to nothing do not apply.
   * @throws InvalidSubjectError when an id is longer than `maxIdLength`
   */
  of(rules: readonly ResolvedRule[], ids: BudgetSubjectIds, req: BudgetRequest | undefined, now: number): BudgetTarget[] {
    const targets: BudgetTarget[] = [];
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      const raw = ruleIdOf(rule, ids, req);
      if (raw !== undefined && raw !== null && raw !== '')
        targets.push(this.target(rule, checkedSubjectId(rule.scope, raw, this.maxIdLength), now));
    }
    return targets;
  }

  /**
   * The counter of one rule and id in the period of `now`. Built once per subject and period and
   * kept in a bounded per-rule cache: key building (escaping, concatenation) is off the hot path.
   */
  target(rule: ResolvedRule, id: string, now: number): BudgetTarget {
    const window = rule.calculator.window(now);
    let cache = this.cache.get(rule);
    if (!cache || cache.periodKey !== window.key || cache.byId.size >= TARGET_CACHE_SIZE) {
      cache = { periodKey: window.key, byId: new Map() };
      this.cache.set(rule, cache);
    }
    const cached = cache.byId.get(id);
    if (cached) return cached;
    const tag = subjectTag(this.prefix, rule.scope, id);
    const counter: BudgetCounter = {
      key: counterKey(tag, window.key, rule.feature, rule.zoneSuffix),
      previousKey:
        rule.maxCarryover > 0 && window.previousKey !== undefined
          ? counterKey(tag, window.previousKey, rule.feature, rule.zoneSuffix)
          : undefined,
      limit: rule.tokens,
      costLimit: rule.costLimit,
      maxCarryover: rule.maxCarryover,
      expireAt: window.keepUntil + EXPIRY_MARGIN_MS,
      override: { key: overrideKey(tag), field: rule.identity },
      index: { ...rankingKeys(this.prefix, rule, window.key), member: id },
      ...(rule.thresholds.length ? { thresholds: rule.thresholds } : {}),
      ...(rule.soft ? { soft: true } : {}),
    };
    const target: BudgetTarget = { rule, id, counter, periodKey: window.key, resetAt: window.end };
    cache.byId.set(id, target);
    // the budget a counter belongs to, for events; a hidden property rather than a WeakMap, whose
    // table V8 keeps at its largest size after a million subjects' counters are gone
    Object.defineProperty(counter, COUNTER_TARGET, { value: target });
    return target;
  }
}
