import type { Logger } from '@nestjs/common';
import type { BudgetCounter, CounterState, ReleaseRequest, ReserveRequest, ReserveResult } from './storage-adapter.interface';

// cluster-key-slot (an ioredis dependency) ships no types; its one export maps a key to its slot.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const calculateSlot = require('cluster-key-slot') as (key: string) => number;

/** The counters of one call that share a hash slot, and their places in the call's list. */
export interface SlotGroup {
  counters: BudgetCounter[];
  indexes: number[];
}

/**
 * Hash-slot grouping for a Redis Cluster: one script call can only touch keys of one slot, so the
 * counters of a call are grouped by slot, one script per slot. On a single node (or for one
 * counter) everything is one group and costs nothing to plan.
 */
export class RedisSlots {
  constructor(
    private readonly isCluster: boolean,
    private readonly logger: Logger,
  ) {}

  /** True when one script call can take all the counters: a single node, or one counter. */
  oneSlot(counters: BudgetCounter[]): boolean {
    return !this.isCluster || counters.length < 2;
  }

  /** True when the counters span several slots (several script calls). */
  spans(counters: BudgetCounter[]): boolean {
    return !this.oneSlot(counters) && this.groups(counters).length > 1;
  }

  groups(counters: BudgetCounter[]): SlotGroup[] {
    if (this.oneSlot(counters)) return [{ counters, indexes: counters.map((_, i) => i) }];
    const groups = new Map<number, SlotGroup>();
    counters.forEach((counter, i) => {
      const slot = calculateSlot(counter.key);
      let group = groups.get(slot);
      if (!group) groups.set(slot, (group = { counters: [], indexes: [] }));
      group.counters.push(counter);
      group.indexes.push(i);
    });
    return [...groups.values()];
  }

  /** Runs `run` on each slot's counters; every slot is attempted even when one fails, then the first failure is thrown. */
  async each(counters: BudgetCounter[], run: (group: BudgetCounter[], indexes: number[]) => Promise<unknown>): Promise<void> {
    const groups = this.oneSlot(counters) ? [] : this.groups(counters);
    if (groups.length <= 1) {
      await run(counters, counters.map((_, i) => i));
      return;
    }
    const results = await Promise.allSettled(groups.map((group) => run(group.counters, group.indexes)));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /**
   * A reservation across slots, slot by slot. A refusal or a failure releases every slot tried so
   * far (the failing one included: its script may have run), so a hold never outlives a refused
   * reservation. Under 'clamp', each slot holds at most what the slots before it held, so the first
   * slots may hold more than the last one could: more conservative, never less.
   */
  async reserve(
    request: ReserveRequest,
    groups: SlotGroup[],
    reserveGroup: (request: ReserveRequest, counters: BudgetCounter[]) => Promise<ReserveResult>,
    release: (request: ReleaseRequest) => Promise<void>,
  ): Promise<ReserveResult> {
    const states: CounterState[] = new Array(request.counters.length);
    const tried: BudgetCounter[] = [];
    let slotRequest = request;
    for (const group of groups) {
      tried.push(...group.counters);
      let result: ReserveResult;
      try {
        result = await reserveGroup(slotRequest, group.counters);
      } catch (error) {
        await this.compensate(request, tried, release);
        throw error;
      }
      if (!result.admitted) {
        await this.compensate(request, tried, release);
        return { admitted: false, index: group.indexes[result.index], dimension: result.dimension, state: result.state };
      }
      group.indexes.forEach((original, i) => (states[original] = result.states[i]));
      slotRequest = { ...slotRequest, amount: result.held, cost: result.heldCost };
    }
    return { admitted: true, states, held: slotRequest.amount, heldCost: slotRequest.cost };
  }

  /** Best-effort release of the slots a refused cross-slot reservation touched; logged, never thrown. */
  private async compensate(
    request: ReserveRequest,
    counters: BudgetCounter[],
    release: (request: ReleaseRequest) => Promise<void>,
  ): Promise<void> {
    try {
      await release({ id: request.id, counters, now: request.now });
    } catch (error) {
      this.logger.error(`Releasing the partial reservation ${request.id} failed; its lease will: ${String(error)}`);
    }
  }
}
