import { Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { IoredisCluster as Cluster, IoredisClient as Redis, IoredisConstructor, IoredisOptions as RedisOptions } from './redis-client';
import { logConnectionChanges } from './connection-log';
import { leaseKey } from '../keys';
import {
  COMMIT_SCRIPT,
  GRANT_SCRIPT,
  KEYS_PER_COUNTER,
  PREPARE_COMMIT_SCRIPT,
  READ_SCRIPT,
  RELEASE_SCRIPT,
  RENEW_SCRIPT,
  RESERVE_SCRIPT,
  STATE_WIDTH,
  SWEEP_PENDING,
} from './redis.scripts';
import { RedisServerClock } from './redis-server-clock';
import { RedisRateWindow } from './redis-rate-window';
import type { RateHit, RateHitRequest, RateWindowStore } from './rate-window.interface';
import { crossedOf, toState } from './redis-replies';
import { assertStorable } from './checked-amounts';
import {
  BudgetCounter,
  CommitRequest,
  CommitResult,
  CounterState,
  CrossedThreshold,
  GrantRequest,
  IndexEntry,
  ListRequest,
  SetLimitRequest,
  ReleaseRequest,
  RenewRequest,
  ReserveRequest,
  ReserveResult,
  StorageAdapter,
} from './storage-adapter.interface';

// cluster-key-slot (an ioredis dependency) ships no types; its one export maps a key to its slot.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const calculateSlot = require('cluster-key-slot') as (key: string) => number;

type ScriptCommand = (numKeys: number, ...args: (string | number)[]) => Promise<unknown>;
type ScriptedClient = (Redis | Cluster) & {
  tokenBudgetReserve: ScriptCommand;
  tokenBudgetCommit: ScriptCommand;
  tokenBudgetRelease: ScriptCommand;
  tokenBudgetRead: ScriptCommand;
  tokenBudgetGrant: ScriptCommand;
  tokenBudgetRenew: ScriptCommand;
  tokenBudgetPrepareCommit: ScriptCommand;
};

/**
 * Settings of a client the adapter creates: a command waits at most a second and is retried once
 * while reconnecting, so an unreachable Redis answers (per failMode) instead of hanging requests;
 * reconnection is tried at least every 500 ms (ioredis alone backs off to 2 s), so budgets are
 * enforced again within about half a second of Redis coming back.
 */
const OWNED_CLIENT_DEFAULTS: RedisOptions = {
  commandTimeout: 1_000,
  maxRetriesPerRequest: 1,
  retryStrategy: (attempt: number) => Math.min(attempt * 50, 500),
};

/** What RedisAdapter accepts: a client you own, or what it needs to create (and own) one. */
export type RedisAdapterInput = Redis | Cluster | RedisOptions | string;

/** Whose clock decides lease expiry, rate windows and period boundaries on Redis. */
export type RedisTimeSource = 'server' | 'app';

/** Settings of the RedisAdapter itself (the client's are in its input). */
export interface RedisAdapterOptions {
  /**
   * `'server'`: every time-based decision goes by the Redis server's clock (`TIME`, read inside the
   * scripts), and BudgetService builds period keys from an estimate of it, so app instances whose
   * clocks disagree still share one budget, one lease clock and one rate window. `'app'`: the
   * module's `clock` decides, as on MemoryAdapter (for tests that travel in time; on several
   * instances their clocks must agree).
   * @default 'server'
   * @example new RedisAdapter(redis, { timeSource: 'app' }) // with TokenBudgetModule's clock: testClock
   */
  timeSource?: RedisTimeSource;
}

/** Calls of a reserve or read script at most, while each one drops a batch of lapsed leases. */
const MAX_SWEEP_CALLS = 1_000;

/**
 * Budget storage on Redis, single node or Cluster. Each operation is one Lua script (loaded once
 * with `defineCommand`, run by EVALSHA, re-sent on NOSCRIPT), so it costs one round trip and is
 * atomic across the counters of one subject. The keys of one subject share a `{hash tag}`; on a
 * Cluster, counters of several subjects that land on different slots are reserved slot by slot and
 * the slots already reserved are released when a later one refuses, so a budget is never overshot.
 *
 * Give it an ioredis `Redis` or `Cluster` (you keep ownership and close it), or options / a URL
 * (it creates the client and quits it on application shutdown).
 *
 * Time is the Redis server's (`timeSource: 'server'`, the default): the scripts read `TIME` for
 * lease expiry, rate windows and record expiry, and `now()` estimates it for period keys, so app
 * instances with skewed clocks agree.
 *
 * @example
 * new RedisAdapter(new Redis(process.env.REDIS_URL))
 * new RedisAdapter('redis://127.0.0.1:6379')
 * new RedisAdapter(redis, { timeSource: 'app' }) // the module's clock decides (tests that travel in time)
 */
export class RedisAdapter implements StorageAdapter, RateWindowStore, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisAdapter.name);
  readonly client: Redis | Cluster;
  readonly timeSource: RedisTimeSource;
  /** The Redis server's time in epoch ms (estimated); absent under `timeSource: 'app'`. */
  readonly now?: () => number;
  private readonly serverClock: RedisServerClock | undefined;
  private readonly owned: boolean;
  private readonly rateWindows: RedisRateWindow;
  private readonly isCluster: boolean;

  constructor(input: RedisAdapterInput, options: RedisAdapterOptions = {}) {
    if (isClient(input)) {
      this.client = input;
      this.owned = false;
      const options = input.isCluster ? (input as Cluster).options.redisOptions : (input as Redis).options;
      if (options?.commandTimeout === undefined) {
        this.logger.warn(
          'The Redis client given to RedisAdapter has no commandTimeout: if Redis stalls, requests wait for it. Set commandTimeout (e.g. 1000) and maxRetriesPerRequest (e.g. 1) on the client.',
        );
      }
    } else {
      const RedisClient = loadIoredis();
      this.client = typeof input === 'string' ? new RedisClient(input, OWNED_CLIENT_DEFAULTS) : new RedisClient({ ...OWNED_CLIENT_DEFAULTS, ...input });
      this.owned = true;
      logConnectionChanges(this.client, this.logger);
    }
    this.isCluster = this.client.isCluster;
    this.timeSource = options.timeSource ?? 'server';
    if (this.timeSource !== 'server' && this.timeSource !== 'app') throw new RangeError(`timeSource must be 'server' or 'app', got ${String(this.timeSource)}`);
    if (this.timeSource === 'server') {
      const clock = (this.serverClock = new RedisServerClock(this.client));
      this.now = () => clock.now();
      void clock.sync();
    }
    this.client.defineCommand('tokenBudgetReserve', { lua: RESERVE_SCRIPT });
    this.client.defineCommand('tokenBudgetCommit', { lua: COMMIT_SCRIPT });
    this.client.defineCommand('tokenBudgetRelease', { lua: RELEASE_SCRIPT });
    this.client.defineCommand('tokenBudgetRead', { lua: READ_SCRIPT });
    this.client.defineCommand('tokenBudgetGrant', { lua: GRANT_SCRIPT });
    this.client.defineCommand('tokenBudgetRenew', { lua: RENEW_SCRIPT });
    this.client.defineCommand('tokenBudgetPrepareCommit', { lua: PREPARE_COMMIT_SCRIPT });
    this.rateWindows = new RedisRateWindow(this.client, this.timeSource);
  }

  /** Counts a request against a rate window on Redis (tier rate limits): one Lua script on this client, Cluster included. */
  hit(request: RateHitRequest): Promise<RateHit> {
    return this.rateWindows.hit(request);
  }

  private get scripts(): ScriptedClient {
    return this.client as ScriptedClient;
  }

  /** Waits (at most a second) for the server's time, so the first requests build the right period keys. */
  async onModuleInit(): Promise<void> {
    if (!this.serverClock) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.serverClock.sync(), new Promise((resolve) => (timer = setTimeout(resolve, 1_000).unref()))]);
    clearTimeout(timer);
  }

  /** `now` as the scripts take it: 0 (the server's clock decides), or the app's. */
  private scriptNow(now: number): number {
    return this.serverClock ? 0 : now;
  }

  /** Runs a reserve or read script again while it answers SWEEP_PENDING (each call drops a bounded batch). */
  private async swept(call: () => Promise<unknown>): Promise<number[]> {
    for (let calls = 1; ; calls++) {
      const reply = (await call()) as number[];
      if (reply[0] !== SWEEP_PENDING) return reply;
      if (calls >= MAX_SWEEP_CALLS) throw new Error(`Lapsed leases are still being dropped after ${calls} script calls; try again`);
    }
  }

  async reserve(request: ReserveRequest): Promise<ReserveResult> {
    assertStorable(request);
    if (this.oneSlot(request.counters)) return this.reserveOneSlot(request);
    const groups = this.bySlot(request.counters);
    if (groups.length === 1) return this.reserveOneSlot(request);
    // Slot by slot; a refusal or a failure releases every slot tried so far (the failing one
    // included: its script may have run), so a hold never outlives a refused reservation.
    // Under 'clamp', each slot holds at most what the slots before it held, so the first slots may
    // hold more than the last one could: more conservative, never less.
    const states: CounterState[] = new Array(request.counters.length);
    const tried: BudgetCounter[] = [];
    let slotRequest = request;
    for (const group of groups) {
      tried.push(...group.counters);
      let result: ReserveResult;
      try {
        result = await this.reserveGroup(slotRequest, group.counters);
      } catch (error) {
        await this.compensate(request, tried);
        throw error;
      }
      if (!result.admitted) {
        await this.compensate(request, tried);
        return { admitted: false, index: group.indexes[result.index], dimension: result.dimension, state: result.state };
      }
      group.indexes.forEach((original, i) => (states[original] = result.states[i]));
      slotRequest = { ...slotRequest, amount: result.held, cost: result.heldCost };
    }
    return { admitted: true, states, held: slotRequest.amount, heldCost: slotRequest.cost };
  }

  /**
   * Idempotent by id (a retried commit counts once). On a Cluster, counters on several slots are
   * first told what the commit counts (beside their holds), then committed slot by slot: a commit
   * that fails on some slot throws (and is retried by the caller); if its instance dies instead,
   * the lease sweep of each slot it missed charges the recorded usage when the hold lapses.
   */
  async commit({ id, counters, amount, cost, now }: CommitRequest): Promise<CommitResult> {
    assertStorable({ amount, cost });
    if (!this.oneSlot(counters) && this.bySlot(counters).length > 1) {
      await this.eachSlot(counters, (group) => this.scripts.tokenBudgetPrepareCommit(group.length * KEYS_PER_COUNTER, ...this.keys(group), this.scriptNow(now), id, amount, cost));
    }
    const states: CounterState[] = new Array(counters.length);
    const crossed: CrossedThreshold[][] = new Array(counters.length);
    await this.eachSlot(counters, async (group, indexes) => {
      const reply = (await this.scripts.tokenBudgetCommit(
        group.length * KEYS_PER_COUNTER,
        ...this.keys(group, !this.isCluster),
        this.scriptNow(now),
        id,
        amount,
        cost,
        ...this.args(group),
      )) as number[];
      const width = STATE_WIDTH + 2;
      group.forEach((counter, i) => {
        const at = i * width;
        states[indexes[i]] = toState(reply, at);
        crossed[indexes[i]] = crossedOf(counter.thresholds, Number(reply[at + STATE_WIDTH]), Number(reply[at + STATE_WIDTH + 1]));
      });
    });
    // On a Cluster the rankings live on their own slots: written after the counters, with GT so a
    // slower write of an older total never lowers a newer one.
    if (this.isCluster) await this.rankAfterCommit(counters, states, now);
    return { states, crossed };
  }

  async release({ id, counters, now }: ReleaseRequest): Promise<void> {
    await this.eachSlot(counters, (group) => this.scripts.tokenBudgetRelease(group.length * KEYS_PER_COUNTER, ...this.keys(group), this.scriptNow(now), id));
  }

  async renew({ id, counters, leaseUntil, now }: RenewRequest): Promise<boolean> {
    let held = 0;
    await this.eachSlot(counters, async (group) => {
      const leaseMs = Math.max(1, leaseUntil - now);
      held += Number(await this.scripts.tokenBudgetRenew(group.length * KEYS_PER_COUNTER, ...this.keys(group), this.scriptNow(now), id, leaseMs));
    });
    return held > 0;
  }

  async grant({ counters, tokens, cost, now }: GrantRequest): Promise<CounterState[]> {
    assertStorable({ amount: tokens, cost });
    const states: CounterState[] = new Array(counters.length);
    await this.eachSlot(counters, async (group, indexes) => {
      const reply = (await this.scripts.tokenBudgetGrant(group.length * KEYS_PER_COUNTER, ...this.keys(group), this.scriptNow(now), tokens, cost, ...this.args(group))) as number[];
      indexes.forEach((original, i) => (states[original] = toState(reply, i * STATE_WIDTH)));
    });
    return states;
  }

  async setLimit({ key, field, tokens, cost }: SetLimitRequest): Promise<void> {
    const multi = this.client.multi();
    if (tokens === null) multi.hdel(key, `t:${field}`);
    else if (tokens !== undefined) multi.hset(key, `t:${field}`, tokens);
    if (cost === null) multi.hdel(key, `c:${field}`);
    else if (cost !== undefined) multi.hset(key, `c:${field}`, cost);
    await multi.exec();
  }

  async list({ key, limit }: ListRequest): Promise<IndexEntry[]> {
    const reply = await this.client.zrevrange(key, 0, limit > 0 ? limit - 1 : -1, 'WITHSCORES');
    const entries: IndexEntry[] = [];
    for (let i = 0; i < reply.length; i += 2) entries.push({ member: reply[i], score: Number(reply[i + 1]) });
    return entries;
  }

  async unindex(entries: { key: string; costKey: string; member: string }[]): Promise<void> {
    await Promise.all(entries.flatMap(({ key, costKey, member }) => [this.client.zrem(key, member), this.client.zrem(costKey, member)]));
  }

  private async rankAfterCommit(counters: BudgetCounter[], states: CounterState[], now: number): Promise<void> {
    await Promise.all(
      counters.map(async (counter, i) => {
        if (!counter.index || counter.expireAt <= now) return;
        const { key, costKey, member } = counter.index;
        const ttl = Number.isFinite(counter.expireAt) ? counter.expireAt - now : 0;
        await Promise.all([
          this.client.zadd(key, 'GT', states[i].used, member),
          this.client.zadd(costKey, 'GT', states[i].costUsed, member),
          ...(ttl > 0 ? [this.client.pexpire(key, ttl), this.client.pexpire(costKey, ttl)] : []),
        ]);
      }),
    );
  }

  async read(counters: BudgetCounter[], now: number): Promise<CounterState[]> {
    const states: CounterState[] = new Array(counters.length);
    await Promise.all(
      this.bySlot(counters).map(async (group) => {
        const reply = await this.swept(() =>
          this.scripts.tokenBudgetRead(group.counters.length * KEYS_PER_COUNTER, ...this.keys(group.counters), this.scriptNow(now), ...this.args(group.counters)),
        );
        group.indexes.forEach((original, i) => (states[original] = toState(reply, 1 + i * STATE_WIDTH)));
      }),
    );
    return states;
  }

  async delete(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.client.del(key, leaseKey(key))));
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.owned || this.client.status === 'end') return;
    if (this.client.status !== 'ready') {
      // Redis is away (reconnecting): nothing can be flushed, and QUIT would wait for an 'end' that never comes
      this.client.disconnect();
      return;
    }
    try {
      const ended = new Promise((resolve) => this.client.once('end', resolve));
      await this.client.quit();
      await ended;
    } catch (error) {
      this.logger.warn(`Closing the Redis client failed: ${String(error)}`);
      this.client.disconnect();
    }
  }

  /** Best-effort release of the slots a refused cross-slot reservation touched; logged, never thrown. */
  private async compensate(request: ReserveRequest, counters: BudgetCounter[]): Promise<void> {
    try {
      await this.release({ id: request.id, counters, now: request.now });
    } catch (error) {
      this.logger.error(`Releasing the partial reservation ${request.id} failed; its lease will: ${String(error)}`);
    }
  }

  /**
   * A reservation whose reply never came (a command timeout while Redis stalls) may still run when
   * Redis wakes up: its release is sent right behind it on the same connection, so it runs after
   * the hold and nothing stays held until the lease. Not awaited: the failure is answered at once.
   */
  private async reserveOneSlot(request: ReserveRequest): Promise<ReserveResult> {
    try {
      return await this.reserveGroup(request, request.counters);
    } catch (error) {
      this.release({ id: request.id, counters: request.counters, now: request.now }).catch(() => undefined);
      throw error;
    }
  }

  private async reserveGroup(request: ReserveRequest, counters: BudgetCounter[]): Promise<ReserveResult> {
    const leaseMs = Math.max(1, request.leaseUntil - request.now);
    const reply = await this.swept(() =>
      this.scripts.tokenBudgetReserve(
        counters.length * KEYS_PER_COUNTER,
        ...this.keys(counters),
        this.scriptNow(request.now),
        request.id,
        request.amount,
        request.cost,
        leaseMs,
        request.policy === 'clamp' ? 1 : 0,
        ...this.args(counters),
      ),
    );
    if (reply[0] === 0) return { admitted: false, index: reply[1], dimension: reply[2] === 1 ? 'cost' : 'tokens', state: toState(reply, 3) };
    return { admitted: true, states: counters.map((_, i) => toState(reply, 3 + i * STATE_WIDTH)), held: Number(reply[1]), heldCost: Number(reply[2]) };
  }

  /** Seven keys per counter (see redis.scripts.ts); the rankings only when the script writes them (`withRankings`). */
  private keys(counters: BudgetCounter[], withRankings = false): string[] {
    const keys: string[] = [];
    for (const c of counters) {
      const previous = c.previousKey ?? c.key;
      const ranked = withRankings && c.index !== undefined;
      keys.push(
        c.key,
        leaseKey(c.key),
        previous,
        leaseKey(previous),
        c.override?.key ?? c.key,
        ranked ? c.index!.key : c.key,
        ranked ? c.index!.costKey : c.key,
      );
    }
    return keys;
  }

  private args(counters: BudgetCounter[]): (string | number)[] {
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

  /** True when one script call can take all the counters: a single node, or one counter. */
  private oneSlot(counters: BudgetCounter[]): boolean {
    return !this.isCluster || counters.length < 2;
  }

  private bySlot(counters: BudgetCounter[]): { counters: BudgetCounter[]; indexes: number[] }[] {
    if (this.oneSlot(counters)) return [{ counters, indexes: counters.map((_, i) => i) }];
    const groups = new Map<number, { counters: BudgetCounter[]; indexes: number[] }>();
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
  private async eachSlot(counters: BudgetCounter[], run: (group: BudgetCounter[], indexes: number[]) => Promise<unknown>): Promise<void> {
    const groups = this.oneSlot(counters) ? [] : this.bySlot(counters);
    if (groups.length <= 1) {
      await run(counters, counters.map((_, i) => i));
      return;
    }
    const results = await Promise.allSettled(groups.map((group) => run(group.counters, group.indexes)));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
  }
}

/** An ioredis client (Redis or Cluster), told by shape so that two installed copies of ioredis both work. */
function isClient(input: RedisAdapterInput): input is Redis | Cluster {
  return typeof input === 'object' && input !== null && typeof (input as Redis).defineCommand === 'function' && 'isCluster' in input;
}

/** ioredis is an optional peer: loaded only when the adapter has to create a client. */
function loadIoredis(): IoredisConstructor {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('ioredis').default;
  } catch {
    throw new Error('RedisAdapter needs the ioredis package: npm install ioredis');
  }
}
