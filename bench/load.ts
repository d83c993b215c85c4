import autocannon from 'autocannon';
import type { BenchServer } from './children';

export interface LoadSettings {
  connections: number;
  pipelining: number;
}

export interface Measurement {
  requestsPerSecond: number;
  p99Ms: number;
  cpuMicrosPerRequest: number;
  completed: number;
}

function fire(url: string, seconds: number, settings: LoadSettings, crashed: Promise<never>): Promise<autocannon.Result> {
  let instance: autocannon.Instance | undefined;
  const run = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon({ url, duration: seconds, connections: settings.connections, pipelining: settings.pipelining }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
  return Promise.race([run, crashed]).catch((error: unknown) => {
    instance?.stop();
    throw error;
  });
}

function assertAllOk(server: BenchServer, result: autocannon.Result, phase: string): void {
  const problems: string[] = [];
  if (result.non2xx > 0) problems.push(`${result.non2xx} non-2xx responses (4xx ${result['4xx']}, 5xx ${result['5xx']}, 3xx ${result['3xx']}, 1xx ${result['1xx']})`);
  if (result.errors > 0) problems.push(`${result.errors} connection errors (${result.timeouts} timeouts)`);
  if (result['2xx'] === 0) problems.push('no 2xx response at all');
  if (problems.length) throw new Error(`variant ${server.variant} (${phase}, ${server.url}): ${problems.join('; ')}`);
}

export async function warmUp(server: BenchServer, seconds: number, settings: LoadSettings): Promise<number> {
  const result = await fire(server.url, seconds, settings, server.failure);
  assertAllOk(server, result, 'warm-up');
  return result['2xx'];
}

export async function measure(server: BenchServer, seconds: number, settings: LoadSettings, phase: string): Promise<Measurement> {
  const before = await server.cpuMicros();
  const result = await fire(server.url, seconds, settings, server.failure);
  const after = await server.cpuMicros();
  assertAllOk(server, result, phase);
  const completed = result.requests.total;
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    cpuMicrosPerRequest: (after - before) / completed,
    completed,
  };
}
