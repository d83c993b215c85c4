import { leaseKey } from '../keys';
import { STATE_WIDTH } from './redis-scripts/layout';
import type { BudgetCounter, CounterState, CrossedThreshold, ReserveResult } from './storage-adapter.interface';

/**
 * What goes to the scripts and what comes back, in the layout of `redis-scripts/layout.ts`:
 * seven keys and eight arguments per counter, ten numbers per counter state.
 */

/**
 * Seven keys per counter; the rankings only when the script writes them (`withRankings`), else the
 * counter's key in their place.
 */
export function scriptKeys(counters: BudgetCounter[], withRankings = false): string[] {
  const keys: string[] = [];
  for (const c of counters) {
    const previous = c.previousKey ?? c.key;
    const ranked = withRankings && c.index !== undefined;
    const [override, ranking, costRanking] = [c.override?.key ?? c.key, ranked ? c.index!.key : c.key, ranked ? c.index!.costKey : c.key];
    keys.push(c.key, leaseKey(c.key), previous, leaseKey(previous), override, ranking, costRanking);
  }
  return keys;
}

/**
 * Eight arguments per counter: limit, maxCarryover, expireAt (0 = never), costLimit, override
 * field, soft, thresholds, ranking member.
 */
export function scriptArgs(counters: BudgetCounter[]): (string | number)[] {
  const args: (string | number)[] = [];
  for (const c of counters) {
    args.push(
      c.limit,
      c.maxCarryover,
      Number.isFinite(c.expireAt) ? c.expireAt : 0,
      c.costLimit,
      c.override?.field ?? '',
      c.soft ? 1 : 0,
      c.thresholds?.join(',') ?? '',
      c.index?.member ?? '',
    );
  }
  return args;
}

/** A counter's state from a script reply, starting at `at`. */
export function toState(reply: number[], at: number): CounterState {
  return {
    used: Number(reply[at]),
    reserved: Number(reply[at + 1]),
    carryover: Number(reply[at + 2]),
    costUsed: Number(reply[at + 3]),
    costReserved: Number(reply[at + 4]),
    requests: Number(reply[at + 5]),
    granted: Number(reply[at + 6]),
    costGranted: Number(reply[at + 7]),
    limit: Number(reply[at + 8]),
    costLimit: Number(reply[at + 9]),
  };
}

/** A reserve script's reply: `{1, held, heldCost, state...}` or `{0, index, dimension, state}`. */
export function toReserveResult(reply: number[], counters: number): ReserveResult {
  if (reply[0] === 0) return { admitted: false, index: reply[1], dimension: reply[2] === 1 ? 'cost' : 'tokens', state: toState(reply, 3) };
  const states: CounterState[] = new Array(counters);
  for (let i = 0; i < counters; i++) states[i] = toState(reply, 3 + i * STATE_WIDTH);
  return { admitted: true, states, held: Number(reply[1]), heldCost: Number(reply[2]) };
}

/** Numbers per counter in a commit reply: its state, then its token and money threshold masks. */
export const COMMIT_WIDTH = STATE_WIDTH + 2;

/** The thresholds of counter `i` a commit reply marks as crossed. */
export function crossedAt(reply: number[], i: number, thresholds: readonly number[] | undefined): CrossedThreshold[] {
  const at = i * COMMIT_WIDTH + STATE_WIDTH;
  return crossedOf(thresholds, Number(reply[at]), Number(reply[at + 1]));
}

/** The thresholds whose bits are set in the token and money masks a commit returned. */
export function crossedOf(thresholds: readonly number[] | undefined, tokenMask: number, costMask: number): CrossedThreshold[] {
  if (!thresholds?.length || (tokenMask === 0 && costMask === 0)) return [];
  const crossed: CrossedThreshold[] = [];
  thresholds.forEach((fraction, j) => {
    if (Math.floor(tokenMask / 2 ** j) % 2 === 1) crossed.push({ fraction, dimension: 'tokens' });
    if (Math.floor(costMask / 2 ** j) % 2 === 1) crossed.push({ fraction, dimension: 'cost' });
  });
  return crossed;
}
