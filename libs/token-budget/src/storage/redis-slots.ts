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
      await run(
        counters,
        counters.map((_, i) => i),
      );
      return;
    }
    const results = await Promise.allSettled(groups.map((group) => run(group.counters, group.indexes)));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /**
   * A reservation across slots, slot by slot. A refusal or a failure releases every slot tried so
   * far (the failing one included: its script may have run), so a hold never outlives a refused
   * reservation. Under 'clamp', each slot holds at most what the slots before it held; when a later
   * slot held less, the earlier slots' holds are lowered to it (`shrink`), so every counter holds
   * the same smallest room, as on a single node.
   */
  async reserve(
    request: ReserveRequest,
    groups: SlotGroup[],
    reserveGroup: (request: ReserveRequest, counters: BudgetCounter[]) => Promise<ReserveResult>,
    release: (request: ReleaseRequest) => Promise<void>,
    shrink: (request: ReserveRequest, counters: BudgetCounter[]) => Promise<void>,
  ): Promise<ReserveResult> {
    const states: CounterState[] = new Array(request.counters.length);
    const tried: BudgetCounter[] = [];
    const heldBy: { group: SlotGroup; held: number; heldCost: number }[] = [];
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
      heldBy.push({ group, held: result.held, heldCost: result.heldCost });
      slotRequest = { ...slotRequest, amount: result.held, cost: result.heldCost };
    }
    const held = slotRequest.amount;
    const heldCost = slotRequest.cost;
    const over = heldBy.filter((slot) => slot.held > held || slot.heldCost > heldCost);
    if (over.length > 0) await this.trim(slotRequest, over, states, shrink, release, tried);
    return { admitted: true, states, held, heldCost };
  }

  /** Lowers the holds of the slots that held more than the last one, and their reported states with them. */
  private async trim(
    request: ReserveRequest,
    over: { group: SlotGroup; held: number; heldCost: number }[],
    states: CounterState[],
    shrink: (request: ReserveRequest, counters: BudgetCounter[]) => Promise<void>,
    release: (request: ReleaseRequest) => Promise<void>,
    tried: BudgetCounter[],
  ): Promise<void> {
    try {
      await Promise.all(over.map((slot) => shrink(request, slot.group.counters)));
    } catch (error) {
      await this.compensate(request, tried, release);
      throw error;
    }
    for (const slot of over) {
      for (const original of slot.group.indexes) {
        const state = states[original];
        states[original] = {
          ...state,
          reserved: state.reserved - (slot.held - request.amount),
          costReserved: state.costReserved - (slot.heldCost - request.cost),
        };
      }
    }
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
