import { limitInForce } from './counter-arithmetic';
import type { BudgetCounter, SetLimitRequest } from './storage-adapter.interface';

/** A subject's limit overrides for one rule. */
interface Override {
  tokens?: number;
  cost?: number;
}

/** MemoryAdapter's `setLimit` overrides: hash key -> rule field -> limits, kept until removed. */
export class MemoryOverrides {
  private readonly overrides = new Map<string, Map<string, Override>>();

  set({ key, field, tokens, cost }: SetLimitRequest): void {
    let fields = this.overrides.get(key);
    if (!fields) this.overrides.set(key, (fields = new Map()));
    const override = { ...fields.get(field) };
    if (tokens === null) delete override.tokens;
    else if (tokens !== undefined) override.tokens = tokens;
    if (cost === null) delete override.cost;
    else if (cost !== undefined) override.cost = cost;
    if (override.tokens === undefined && override.cost === undefined) fields.delete(field);
    else fields.set(field, override);
    if (fields.size === 0) this.overrides.delete(key);
  }

  /** The limits in force for a counter: the subject's overrides, else the rule's. */
  limitsOf(counter: BudgetCounter): { limit: number; costLimit: number } {
    const override = counter.override ? this.overrides.get(counter.override.key)?.get(counter.override.field) : undefined;
    return { limit: limitInForce(override?.tokens, counter.limit), costLimit: limitInForce(override?.cost, counter.costLimit) };
  }
}
