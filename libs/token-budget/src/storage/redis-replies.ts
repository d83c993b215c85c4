import type { CounterState, CrossedThreshold } from './storage-adapter.interface';

/** A counter's state from a script reply, starting at `at` (see redis.scripts.ts for the order). */
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
