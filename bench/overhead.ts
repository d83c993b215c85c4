import { BenchServer } from './children';
import { LoadSettings, measure, Measurement, warmUp } from './load';
import { killChildrenOnExit } from './processes';
import { startRedis, RedisServer } from './redis';
import { jsonLine, ratios, ratioTable, summarize, variantTable } from './report';
import { autocannonVersion, BenchSettings, commandLine, machine, readSettings } from './settings';
import { BUDGETED, IMPORTS_MODULE, rotated, USES_REDIS, VARIANT_IDS, VARIANT_LABELS, VariantId } from './variants';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function perVariant<T>(make: () => T): Record<VariantId, T> {
  return Object.fromEntries(VARIANT_IDS.map((id) => [id, make()])) as Record<VariantId, T>;
}

async function checkBudgetCounting(servers: Map<VariantId, BenchServer>, served: Record<VariantId, number>, runs: number, connections: number): Promise<void> {
  console.log('\nbudget counting (sanity check that each variant is wired as described):');
  for (const id of VARIANT_IDS) {
    if (!IMPORTS_MODULE[id]) continue;
    const { used, reserved, rateHits } = await (servers.get(id) as BenchServer).budgetUsage();
    const line = `  (${id}) ${used} tokens used, ${reserved} reserved, ${served[id]} responses`;
    if (rateHits !== undefined) {
      // the 60 s window holds the requests of the last minute at most: some, never more than were sent
      // (autocannon counts responses; each run may leave one request per connection unanswered)
      if (rateHits <= 0 || rateHits > served[id] + runs * connections) throw new Error(`${line}: the tier limiter counted ${rateHits} requests in its current window`);
      console.log(`  (${id}) ${rateHits} requests counted in the bench user's current 60 s tier window (of ${served[id]} served)`);
      continue;
    }
    if (!BUDGETED[id]) {
      if (used !== 0 || reserved !== 0) throw new Error(`${line}: the unbudgeted route was counted`);
      console.log(`${line}: route pays nothing, as expected`);
      continue;
    }
    if (!used) throw new Error(`${line}: the budgeted route counted nothing`);
    const inRange = used >= served[id] && used <= served[id] + runs * connections && reserved === 0;
    console.log(`${line}: ${inRange ? 'one token per request, as expected' : `WARNING: expected ${served[id]}..${served[id] + runs * connections} used and 0 reserved`}`);
  }
}

function printHeader(settings: BenchSettings, redis: RedisServer): void {
  console.log('nestjs-token-budget overhead bench');
  console.log(`command: ${commandLine()}`);
  console.log(`node ${process.version}, ${machine()}, redis-server ${redis.version}`);
  console.log(
    `load: autocannon ${autocannonVersion()} in the parent, ${settings.connections} connections, pipelining ${settings.pipelining}, ` +
      `${settings.durationSeconds} s per run, ${settings.rounds} rounds, ${settings.warmUpSeconds} s warm-up per server, GET http://127.0.0.1:<port>/hello, Express`,
  );
  console.log('each variant runs in its own child process; CPU µs/req = child process.cpuUsage() delta over a run / responses\n');
}

async function run(settings: BenchSettings, servers: Map<VariantId, BenchServer>, redis: RedisServer): Promise<void> {
  printHeader(settings, redis);
  const load: LoadSettings = { connections: settings.connections, pipelining: settings.pipelining };
  const served = perVariant(() => 0);
  for (const id of VARIANT_IDS) {
    servers.set(id, await BenchServer.start(id, USES_REDIS[id] ? redis.url : undefined));
  }
  for (const id of VARIANT_IDS) {
    served[id] += await warmUp(servers.get(id) as BenchServer, settings.warmUpSeconds, load);
  }
  console.log(`warmed up ${VARIANT_IDS.map((id) => `(${id}) ${VARIANT_LABELS[id]}`).join(', ')}`);

  const samples = perVariant<Measurement[]>(() => []);
  for (let round = 0; round < settings.rounds; round++) {
    const order = rotated(VARIANT_IDS, round);
    const cells: string[] = [];
    for (const id of order) {
      await pause(300);
      const m = await measure(servers.get(id) as BenchServer, settings.durationSeconds, load, `round ${round + 1}`);
      samples[id].push(m);
      served[id] += m.completed;
      cells.push(`${id} ${m.requestsPerSecond.toFixed(0)} req/s ${m.cpuMicrosPerRequest.toFixed(1)} µs`);
    }
    console.log(`round ${round + 1}/${settings.rounds} [${order.join(',')}]: ${cells.join(' | ')}`);
  }

  await pause(300);
  await checkBudgetCounting(servers, served, settings.rounds + 1, settings.connections);

  const summary = summarize(samples);
  const rows = ratios(summary);
  console.log(`\nmedians over ${settings.rounds} rounds:`);
  console.log(variantTable(summary));
  console.log('\nratios of medians (req/s: subject/baseline; CPU: baseline µs/req ÷ subject µs/req):');
  console.log(ratioTable(rows));
  const missed = rows.filter((r) => r.rpsMet === false || r.cpuMet === false).map((r) => r.name);
  console.log(missed.length ? `\ntargets missed on: ${[...new Set(missed)].join(', ')}` : '\nall targets met');
  console.log('');
  const meta = {
    bench: 'nestjs-token-budget/overhead',
    date: new Date().toISOString(),
    node: process.version,
    cpus: machine(),
    durationS: settings.durationSeconds,
    rounds: settings.rounds,
    connections: settings.connections,
    pipelining: settings.pipelining,
  };
  console.log(jsonLine(meta, summary, rows));
}

async function main(): Promise<number> {
  killChildrenOnExit();
  const settings = readSettings();
  const servers = new Map<VariantId, BenchServer>();
  const redis = await startRedis();
  try {
    await run(settings, servers, redis);
    return 0;
  } finally {
    await Promise.allSettled([...servers.values()].map((server) => server.stop()));
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
