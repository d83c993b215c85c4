import { BenchServer } from './children';
import { LoadSettings, measure, Measurement, warmUp } from './load';
import { killChildrenOnExit } from './processes';
import { startRedis, RedisServer } from './redis';
import { evaluate, jsonLine, summarize, targetTable, variantTable } from './report';
import { autocannonVersion, BenchSettings, commandLine, machine, readSettings } from './settings';
import { MockUpstream, startUpstream } from './upstream';
import {
  BUDGET_SCOPES,
  IMPORTS_MODULE,
  rotated,
  shown,
  TIER_LIMITED,
  tokensPerRequest,
  USES_REDIS,
  USES_UPSTREAM,
  VARIANT_IDS,
  VARIANT_LABELS,
  VariantId,
} from './variants';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function perVariant<T>(make: () => T): Record<VariantId, T> {
  return Object.fromEntries(VARIANT_IDS.map((id) => [id, make()])) as Record<VariantId, T>;
}

function loadOf(settings: BenchSettings, id: VariantId): LoadSettings {
  return { connections: USES_UPSTREAM[id] ? settings.upstreamConnections : settings.connections, pipelining: settings.pipelining };
}

/**
 * Checks that each app counted what it claims to: every budget scope of the route holds the tokens
 * of every response (one per request, or the upstream's usage), nothing left reserved; the tier
 * limiter counted requests in the current window; an unbudgeted route counted nothing.
 * Autocannon counts responses; a run may leave one request per connection unanswered, which the
 * app may still have counted.
 */
async function checkCounting(
  servers: Map<VariantId, BenchServer>,
  served: Record<VariantId, number>,
  runs: number,
  settings: BenchSettings,
  windowHits: Partial<Record<VariantId, number | undefined>>,
): Promise<void> {
  console.log('\ncounting check (each variant is wired as described):');
  for (const id of VARIANT_IDS) {
    if (!IMPORTS_MODULE[id]) continue;
    const slack = runs * loadOf(settings, id).connections;
    const { budgets } = await (servers.get(id) as BenchServer).budgetUsage();
    const label = `  (${shown(id)})`;
    if (TIER_LIMITED[id]) {
      // read right after the variant's last run: the 60 s window may have ended by now; it holds
      // the requests of the last minute at most: some, never more than were sent
      const rateHits = windowHits[id];
      if (rateHits === undefined || rateHits <= 0 || rateHits > served[id] + slack)
        throw new Error(`${label} the tier limiter counted ${rateHits} requests in its current window`);
      console.log(`${label} ${rateHits} requests in the bench user's current 60 s tier window (of ${served[id]} served)`);
    }
    const scopes = BUDGET_SCOPES[id];
    if (!scopes.length) {
      const counted = (budgets ?? []).filter((b) => b.used !== 0 || b.reserved !== 0);
      if (counted.length) throw new Error(`${label} the unbudgeted route was counted: ${JSON.stringify(counted)}`);
      if (!TIER_LIMITED[id]) console.log(`${label} route counted nothing, as expected`);
      continue;
    }
    const per = tokensPerRequest(id);
    const low = served[id] * per;
    const high = (served[id] + slack) * per;
    for (const scope of scopes) {
      const budget = (budgets ?? []).find((b) => b.scope === scope);
      const line = `${label} ${scope}: ${budget?.used ?? 0} tokens used, ${budget?.reserved ?? 0} reserved, ${served[id]} responses × ${per} tokens`;
      if (!budget || budget.used < low || budget.used > high || budget.reserved !== 0) {
        throw new Error(`${line}: expected ${low}..${high} used and 0 reserved`);
      }
      console.log(`${line}: as expected`);
    }
  }
}

function printHeader(settings: BenchSettings, redis: RedisServer): void {
  console.log('nestjs-token-budget overhead bench');
  console.log(`command: ${commandLine()}`);
  console.log(`node ${process.version}, ${machine()}, redis-server ${redis.version}`);
  console.log(
    `load: autocannon ${autocannonVersion()} in the parent, ${settings.connections} connections (${settings.upstreamConnections} on the upstream routes g0, g), ` +
      `pipelining ${settings.pipelining}, ${settings.durationSeconds} s per run, ${settings.rounds} rounds interleaved, ${settings.warmUpSeconds} s warm-up per server, GET /hello, Express`,
  );
  console.log(
    'each variant runs in its own child process; req/s and CPU µs/req (child process.cpuUsage() over a run ÷ responses) are medians of the rounds; ' +
      'p50/p99 are of every response of every round (autocannon response times, sub-ms)\n',
  );
}

async function run(
  settings: BenchSettings,
  servers: Map<VariantId, BenchServer>,
  redis: RedisServer,
  upstream: MockUpstream | undefined,
): Promise<void> {
  printHeader(settings, redis);
  const served = perVariant(() => 0);
  for (const id of VARIANT_IDS) {
    servers.set(
      id,
      await BenchServer.start(id, {
        redisUrl: USES_REDIS[id] ? redis.url : undefined,
        upstreamUrl: USES_UPSTREAM[id] ? upstream?.url : undefined,
      }),
    );
  }
  for (const id of VARIANT_IDS) {
    served[id] += await warmUp(servers.get(id) as BenchServer, settings.warmUpSeconds, loadOf(settings, id));
  }
  console.log(`warmed up: ${VARIANT_IDS.map((id) => `(${shown(id)}) ${VARIANT_LABELS[id]}`).join('; ')}\n`);

  const samples = perVariant<Measurement[]>(() => []);
  const windowHits: Partial<Record<VariantId, number | undefined>> = {};
  for (let round = 0; round < settings.rounds; round++) {
    const order = rotated(VARIANT_IDS, round);
    const cells: string[] = [];
    for (const id of order) {
      await pause(200);
      const m = await measure(servers.get(id) as BenchServer, settings.durationSeconds, loadOf(settings, id), `round ${round + 1}`);
      samples[id].push(m);
      served[id] += m.completed;
      if (TIER_LIMITED[id]) windowHits[id] = (await (servers.get(id) as BenchServer).budgetUsage()).rateHits;
      cells.push(`${shown(id)} ${m.requestsPerSecond.toFixed(0)}/s ${m.cpuMicrosPerRequest.toFixed(0)}µs`);
    }
    console.log(`round ${round + 1}/${settings.rounds}: ${cells.join(' | ')}`);
  }

  await pause(300);
  await checkCounting(servers, served, settings.rounds + 1, settings, windowHits);

  const summary = summarize(samples, (id) => loadOf(settings, id).connections);
  const rows = evaluate(summary);
  console.log(`\nper variant (÷a, ÷a': req/s ratios; CPU a/x, a'/x: baseline µs/req ÷ variant µs/req):`);
  console.log(variantTable(summary));
  console.log('\ntargets (req/s ratios of the medians; margin = measured − target):');
  console.log(targetTable(rows));
  const missed = rows.filter((r) => !r.met);
  console.log(missed.length ? `\ntargets missed: ${missed.map((r) => r.comparison.what).join('; ')}` : '\nall targets met');
  console.log('');
  const meta = {
    bench: 'nestjs-token-budget/overhead',
    date: new Date().toISOString(),
    node: process.version,
    cpus: machine(),
    redis: redis.version,
    durationS: settings.durationSeconds,
    rounds: settings.rounds,
    connections: settings.connections,
    upstreamConnections: settings.upstreamConnections,
  };
  console.log(jsonLine(meta, summary, rows));
}

async function main(): Promise<number> {
  killChildrenOnExit();
  const started = Date.now();
  const settings = readSettings();
  const servers = new Map<VariantId, BenchServer>();
  const redis = await startRedis();
  const upstream = VARIANT_IDS.some((id) => USES_UPSTREAM[id]) ? await startUpstream() : undefined;
  try {
    await run(settings, servers, redis, upstream);
    console.error(`(bench took ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    return 0;
  } finally {
    await Promise.allSettled([...servers.values()].map((server) => server.stop()));
    await upstream?.stop();
    await redis.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
