import { fork } from 'node:child_process';
import { join } from 'node:path';
import Redis from 'ioredis';
import { BudgetService, RedisAdapter } from 'nestjs-token-budget';
import type { INestApplicationContext } from '@nestjs/common';
import { budgetContext, inParallel, subjectId } from './budget-context';
import { killChildrenOnExit, track } from './processes';
import { startRedis, RedisServer } from './redis';
import { percentile } from './report';
import type { MemoryScaleResult } from './scale-memory';
import { commandLine, machine } from './settings';

interface ScaleSettings {
  small: number;
  large: number;
  rounds: number;
  samples: number;
  concurrency: number;
  memorySubjects: number;
  /** Largest heap left after the sweep, above the baseline, that still counts as "back to baseline". */
  toleranceBytes: number;
}

function integer(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return value;
}

function readSettings(): ScaleSettings {
  return {
    small: integer('SCALE_SMALL', 1_000),
    large: integer('SCALE_SUBJECTS', 1_000_000),
    rounds: integer('SCALE_ROUNDS', 10),
    samples: integer('SCALE_SAMPLES', 1_000),
    concurrency: integer('SCALE_CONCURRENCY', 256),
    memorySubjects: integer('SCALE_MEMORY_SUBJECTS', 1_000_000),
    toleranceBytes: 2 * 1024 * 1024,
  };
}

/** Redis needs about 150 B per subject; 4 GB leaves room, and noeviction makes a full Redis fail the run rather than drop budgets. */
const REDIS_ARGS = ['--maxmemory', '4gb', '--maxmemory-policy', 'noeviction'];
const USAGE = { inputTokens: 10, outputTokens: 5 };

interface Population {
  name: string;
  size: number;
  redis: RedisServer;
  info: Redis;
  app: INestApplicationContext;
  budgets: BudgetService;
  usedMemory: number;
  keys: number;
  populateSeconds: number;
  latenciesUs: number[];
}

async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match) throw new Error(`INFO memory has no used_memory:\n${info}`);
  return Number(match[1]);
}

async function population(name: string, size: number, settings: ScaleSettings): Promise<Population> {
  const redis = await startRedis({ args: REDIS_ARGS });
  const info = new Redis(redis.url);
  const { budgets, app } = await budgetContext({ storage: new RedisAdapter(redis.url) });
  const writer = await budgetContext({
    storage: new RedisAdapter({ host: '127.0.0.1', port: Number(new URL(redis.url).port), enableAutoPipelining: true }),
  });
  const before = await usedMemory(info);
  const started = process.hrtime.bigint();
  let reported = 0;
  await inParallel(0, size, settings.concurrency, async (i) => {
    await writer.budgets.record(subjectId(i), USAGE);
    if (size >= 100_000 && i >= reported + size / 10) {
      reported = i;
      console.log(`  ${name}: ${i.toLocaleString('en')} subjects written`);
    }
  });
  const populateSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  await writer.app.close();
  const [last] = await budgets.getUsage(subjectId(size - 1));
  if (last.used !== 15) throw new Error(`${name}: ${subjectId(size - 1)} holds ${last.used} tokens, expected 15`);
  const keys = await info.dbsize();
  const after = await usedMemory(info);
  console.log(
    `populated ${name}: ${size.toLocaleString('en')} subjects in ${populateSeconds.toFixed(1)} s (${(size / populateSeconds).toFixed(0)}/s), ` +
      `${keys.toLocaleString('en')} keys, used_memory +${((after - before) / 1048576).toFixed(1)} MiB = ${((after - before) / size).toFixed(0)} B per subject`,
  );
  return { name, size, redis, info, app, budgets, usedMemory: (after - before) / size, keys, populateSeconds, latenciesUs: [] };
}

/** One reserve + commit on a random subject of the population, timed from the call to the commit's answer, in µs. */
async function reserveAndCommit(p: Population): Promise<number> {
  const subject = subjectId(Math.floor(Math.random() * p.size));
  const started = process.hrtime.bigint();
  const reservation = await p.budgets.reserve(subject, 20);
  await reservation.commit(USAGE);
  return Number(process.hrtime.bigint() - started) / 1e3;
}

async function sample(p: Population, count: number, keep: boolean): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const us = await reserveAndCommit(p);
    if (keep) out.push(us);
  }
  if (keep) p.latenciesUs.push(...out);
  return out;
}

function stats(values: number[]): { p50: number; p99: number; n: number } {
  const sorted = Float64Array.from(values).sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), n: sorted.length };
}

async function redisScale(settings: ScaleSettings, summary: Record<string, unknown>): Promise<boolean> {
  console.log(
    `\n(i) Redis: two redis-servers (${REDIS_ARGS.join(' ')}), one holding ${settings.small.toLocaleString('en')} subjects, one ${settings.large.toLocaleString('en')}; ` +
      `written through BudgetService.record (the adapter's commit script: the real key layout, counter hash and rankings), ` +
      `${settings.concurrency} calls in flight on one auto-pipelined connection; measured through a second BudgetService on a default RedisAdapter`,
  );
  const pops: Population[] = [];
  try {
    pops.push(await population('small', settings.small, settings));
    pops.push(await population('large', settings.large, settings));
    const [small, large] = pops;
    console.log(
      `measuring: ${settings.rounds} rounds × ${settings.samples} reserve+commit per population, one call in flight, random subjects, ` +
        `BudgetService.reserve(subject, 20) then reservation.commit({ inputTokens: 10, outputTokens: 5 }); populations alternate each round`,
    );
    await sample(small, 500, false);
    await sample(large, 500, false);
    const perRound: string[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 ? [large, small] : [small, large];
      const cells: string[] = [];
      for (const p of order) cells.push(`${p.name} p99 ${stats(await sample(p, settings.samples, true)).p99.toFixed(0)} µs`);
      perRound.push(`  round ${round + 1}: ${cells.join(', ')}`);
    }
    console.log(perRound.join('\n'));
    const s = stats(small.latenciesUs);
    const l = stats(large.latenciesUs);
    const p99Ratio = l.p99 / s.p99;
    const met = p99Ratio <= 1.1;
    console.log('\n| subjects | samples | p50 µs | p99 µs | Redis used_memory per subject | keys |');
    for (const [p, st] of [
      [small, s],
      [large, l],
    ] as const) {
      console.log(
        `| ${p.size.toLocaleString('en')} | ${st.n} | ${st.p50.toFixed(0)} | ${st.p99.toFixed(0)} | ${p.usedMemory.toFixed(0)} B | ${p.keys.toLocaleString('en')} |`,
      );
    }
    console.log(
      `large / small: p50 ${(l.p50 / s.p50).toFixed(3)}, p99 ${p99Ratio.toFixed(3)}; target p99 within 10% (≤ 1.100): ${met ? 'met' : 'MISSED'}, ` +
        `margin ${(1.1 - p99Ratio >= 0 ? '+' : '') + (1.1 - p99Ratio).toFixed(3)}`,
    );
    summary.redis = {
      small: {
        subjects: small.size,
        p50Us: round(s.p50),
        p99Us: round(s.p99),
        samples: s.n,
        bytesPerSubject: round(small.usedMemory),
        keys: small.keys,
      },
      large: {
        subjects: large.size,
        p50Us: round(l.p50),
        p99Us: round(l.p99),
        samples: l.n,
        bytesPerSubject: round(large.usedMemory),
        keys: large.keys,
        populateS: round(large.populateSeconds),
      },
      p50Ratio: Number((l.p50 / s.p50).toFixed(3)),
      p99Ratio: Number(p99Ratio.toFixed(3)),
      target: 'p99 ratio <= 1.10',
      met,
    };
    return met;
  } finally {
    for (const p of pops) {
      await p.app.close();
      p.info.disconnect();
      await p.redis.stop();
    }
  }
}

const round = (n: number) => Math.round(n);
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

function memoryChild(subjects: number): Promise<MemoryScaleResult> {
  const child = fork(join(__dirname, 'scale-memory.js'), [String(subjects)], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  track(child);
  return new Promise((resolve, reject) => {
    child.on('message', (message: { type: 'result'; result: MemoryScaleResult } | { type: 'failed'; message: string }) => {
      if (message.type === 'result') resolve(message.result);
      else reject(new Error(`MemoryAdapter scale run failed: ${message.message}`));
    });
    child.once('exit', (code) => reject(new Error(`MemoryAdapter scale run exited with ${code} before answering`)));
  });
}

async function memoryScale(settings: ScaleSettings, summary: Record<string, unknown>): Promise<boolean> {
  console.log(
    `\n(ii) MemoryAdapter: ${settings.memorySubjects.toLocaleString('en')} subjects written through BudgetService.record in a child process with --expose-gc; ` +
      'heapUsed after gc, minus a baseline taken after a warm-up cycle (20,000 subjects written, their period ended, swept); ' +
      'then the app clock moves 100 days (past the period end and the period kept for rollover), MemoryAdapter.sweep(now) runs, gc',
  );
  const r = await memoryChild(settings.memorySubjects);
  const back = r.residue <= settings.toleranceBytes && r.recordsAfterSweep <= 1;
  console.log(`populated in ${r.populateSeconds.toFixed(1)} s: ${r.records.toLocaleString('en')} records`);
  console.log(
    `heap: baseline ${mib(r.baselineHeap)}, with ${r.subjects.toLocaleString('en')} subjects ${mib(r.populatedHeap)} = ${r.bytesPerSubject.toFixed(0)} B per subject`,
  );
  console.log(
    `after the clock moved ${r.advancedDays} days and the sweep: ${r.recordsAfterSweep} record(s), heap ${mib(r.sweptHeap)}, ${r.residue >= 0 ? '+' : ''}${(r.residue / 1024).toFixed(0)} KiB ` +
      `from the baseline; target back to baseline within ${mib(settings.toleranceBytes)}: ${back ? 'met' : 'MISSED'}`,
  );
  const bySpace = Object.entries(r.residueBySpace).map(
    ([name, bytes]) => `${name} ${bytes >= 0 ? '+' : ''}${(bytes / 1024).toFixed(0)} KiB`,
  );
  if (bySpace.length)
    console.log(`residue by V8 heap space: ${bySpace.join(', ')} (${(r.residue / r.subjects).toFixed(1)} B per subject written)`);
  summary.memory = {
    subjects: r.subjects,
    bytesPerSubject: round(r.bytesPerSubject),
    baselineHeap: r.baselineHeap,
    populatedHeap: r.populatedHeap,
    sweptHeap: r.sweptHeap,
    residueBytes: r.residue,
    residueBySpace: r.residueBySpace,
    toleranceBytes: settings.toleranceBytes,
    met: back,
  };
  return back;
}

async function main(): Promise<number> {
  killChildrenOnExit();
  const started = Date.now();
  const settings = readSettings();
  const summary: Record<string, unknown> = {
    bench: 'nestjs-token-budget/scale',
    date: new Date().toISOString(),
    node: process.version,
    cpus: machine(),
  };
  console.log('nestjs-token-budget scale bench');
  console.log(
    `command: ${commandLine(['SCALE_SUBJECTS', 'SCALE_SMALL', 'SCALE_ROUNDS', 'SCALE_SAMPLES', 'SCALE_CONCURRENCY', 'SCALE_MEMORY_SUBJECTS'])}`,
  );
  console.log(`node ${process.version}, ${machine()}`);
  const redisMet = await redisScale(settings, summary);
  const memoryMet = await memoryScale(settings, summary);
  console.log(
    `\n${redisMet && memoryMet ? 'all targets met' : 'targets missed: ' + [redisMet ? '' : 'Redis p99 at scale', memoryMet ? '' : 'memory back to baseline'].filter(Boolean).join(', ')}\n`,
  );
  console.log(JSON.stringify(summary));
  console.error(`(bench took ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
