import autocannon from 'autocannon';
import type { BenchServer } from './children';

export interface LoadSettings {
  connections: number;
  pipelining: number;
}

export interface Measurement {
  requestsPerSecond: number;
  cpuMicrosPerRequest: number;
  completed: number;
  /** Latency of every 2xx response of the run, in ms (autocannon's own histogram keeps whole ms only). */
  latenciesMs: Float64Array;
}

function fire(
  url: string,
  seconds: number,
  settings: LoadSettings,
  crashed: Promise<never>,
  latencies?: number[],
): Promise<autocannon.Result> {
  let instance: autocannon.Instance | undefined;
  const run = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      { url, duration: seconds, connections: settings.connections, pipelining: settings.pipelining },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    if (latencies) {
      instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
        if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
      });
    }
  });
  return Promise.race([run, crashed]).catch((error: unknown) => {
    instance?.stop();
    throw error;
  });
}

function assertAllOk(server: BenchServer, result: autocannon.Result, phase: string): void {
  const problems: string[] = [];
  if (result.non2xx > 0)
    problems.push(
      `${result.non2xx} non-2xx responses (4xx ${result['4xx']}, 5xx ${result['5xx']}, 3xx ${result['3xx']}, 1xx ${result['1xx']})`,
    );
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
  const latencies: number[] = [];
  const before = await server.cpuMicros();
  const result = await fire(server.url, seconds, settings, server.failure, latencies);
  const after = await server.cpuMicros();
  assertAllOk(server, result, phase);
  const completed = result.requests.total;
  return {
    requestsPerSecond: result.requests.average,
    cpuMicrosPerRequest: (after - before) / completed,
    completed,
    latenciesMs: Float64Array.from(latencies),
  };
}
