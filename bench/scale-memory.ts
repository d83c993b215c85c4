import { getHeapSpaceStatistics } from 'node:v8';
import { MemoryAdapter } from 'nestjs-token-budget';
import { budgetContext, subjectId } from './budget-context';

/**
 * MemoryAdapter at scale, in a process started with --expose-gc: heap per subject holding a budget,
 * then the same heap once the period (and the period kept for rollover) has ended and a sweep ran.
 */
export interface MemoryScaleResult {
  subjects: number;
  records: number;
  baselineHeap: number;
  populatedHeap: number;
  bytesPerSubject: number;
  sweptHeap: number;
  recordsAfterSweep: number;
  /** Heap after the sweep minus the baseline, in bytes. */
  residue: number;
  /** The residue per V8 heap space (bytes), where it is not ~0. */
  residueBySpace: Record<string, number>;
  advancedDays: number;
  populateSeconds: number;
}

const ADVANCE_DAYS = 100;
const WARM_UP_SUBJECTS = 20_000;

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 4; i++) gc();
}

function heapAfterGc(): number {
  collect();
  return process.memoryUsage().heapUsed;
}

function spaces(): Record<string, number> {
  return Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, space.space_used_size]));
}

async function measure(subjects: number): Promise<MemoryScaleResult> {
  let now = Date.now();
  const adapter = new MemoryAdapter();
  const { budgets, app } = await budgetContext({ storage: adapter, clock: () => now });
  const usage = { inputTokens: 10, outputTokens: 5 };
  const periodEnds = () => {
    // the app's clock moves past the period's end and the period kept for rollover; the sweep timer
    // would run within its interval, the bench calls it now
    now += ADVANCE_DAYS * 86_400_000;
    adapter.sweep(now);
  };
  // a warm-up cycle before the baseline (subjects written, their period ended, swept): the code
  // paths are compiled and the caches of a running app exist, so the baseline is a running app's
  for (let i = 0; i < WARM_UP_SUBJECTS; i++) await budgets.record(`warm-up-${i}`, usage);
  periodEnds();
  await budgets.record('warm-up', usage);
  const baselineHeap = heapAfterGc();
  const baselineSpaces = spaces();

  const started = process.hrtime.bigint();
  for (let i = 0; i < subjects; i++) await budgets.record(subjectId(i), usage);
  const populateSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const records = adapter.size;
  const [check] = await budgets.getUsage(subjectId(subjects - 1));
  if (check.used !== 15) throw new Error(`subject ${subjectId(subjects - 1)} holds ${check.used} tokens, expected 15`);
  const populatedHeap = heapAfterGc();

  periodEnds();
  await budgets.record('warm-up', usage); // the service's counter cache moves to the new period
  const recordsAfterSweep = adapter.size;
  const sweptHeap = heapAfterGc();
  const sweptSpaces = spaces();
  const residueBySpace = Object.fromEntries(
    Object.entries(sweptSpaces)
      .map(([name, used]) => [name, used - (baselineSpaces[name] ?? 0)] as const)
      .filter(([, delta]) => Math.abs(delta) >= 64 * 1024),
  );
  await app.close();
  return {
    subjects,
    records,
    baselineHeap,
    populatedHeap,
    bytesPerSubject: (populatedHeap - baselineHeap) / subjects,
    sweptHeap,
    recordsAfterSweep,
    residue: sweptHeap - baselineHeap,
    residueBySpace,
    advancedDays: ADVANCE_DAYS,
    populateSeconds,
  };
}

if (require.main === module) {
  measure(Number(process.argv[2])).then(
    (result) => {
      process.send?.({ type: 'result', result });
      process.exit(0);
    },
    (error: unknown) => {
      process.send?.({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      process.exit(1);
    },
  );
}
