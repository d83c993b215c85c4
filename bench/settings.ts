import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { relative } from 'node:path';

export interface BenchSettings {
  durationSeconds: number;
  rounds: number;
  warmUpSeconds: number;
  connections: number;
  /** Connections of the variants that await the mock upstream: few enough that the app is never saturated, so latency is the route's own. */
  upstreamConnections: number;
  pipelining: number;
}

function positive(name: string, fallback: number, integer: boolean): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(
      `${name} must be a positive ${integer ? 'integer' : 'number'} of ${name === 'BENCH_ROUNDS' ? 'rounds' : 'seconds'}, got '${raw}'`,
    );
  }
  return value;
}

export function readSettings(): BenchSettings {
  return {
    durationSeconds: positive('BENCH_DURATION', 3, false),
    rounds: positive('BENCH_ROUNDS', 5, true),
    warmUpSeconds: 2,
    connections: 50,
    upstreamConnections: 10,
    pipelining: 1,
  };
}

export function commandLine(envNames = ['BENCH_DURATION', 'BENCH_ROUNDS', 'BENCH_VARIANTS']): string {
  const env = envNames.filter((name) => process.env[name] !== undefined).map((name) => `${name}=${process.env[name]}`);
  const node = `node ${relative(process.cwd(), process.argv[1])}`;
  const npmScript = process.env.npm_lifecycle_event;
  const run = npmScript ? `npm run ${npmScript}` : node;
  return [...env, run].join(' ') + (npmScript ? `   (runs: ${process.env.npm_lifecycle_script ?? node})` : '');
}

export function autocannonVersion(): string {
  try {
    return (JSON.parse(readFileSync(require.resolve('autocannon/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function machine(): string {
  const list = cpus();
  return `${process.platform} ${process.arch}, ${list.length} CPUs (${list[0]?.model.trim() ?? 'unknown'})`;
}
