import { Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { leaseKey, overrideField } from '../keys';
import { assertStorable } from './checked-amounts';
import type { RateHit, RateHitRequest, RateWindowStore } from './rate-window.interface';
import { clientOf, closeOwnedClient, RedisAdapterInput } from './redis-client-ownership';
import type { IoredisCluster as Cluster, IoredisClient as Redis } from './redis-client';
import { COMMIT_WIDTH, crossedAt, scriptArgs, scriptKeys, toReserveResult, toState } from './redis-marshalling';
import type { RedisAdapterOptions, RedisTimeSource } from './redis-adapter.options';
import { RedisRankings } from './redis-rankings';
import { RedisRateWindow } from './redis-rate-window';
import { defineBudgetScripts, ScriptedClient } from './redis-scripts/commands';
import { KEYS_PER_COUNTER, STATE_WIDTH, SWEEP_PENDING } from './redis-scripts/layout';
import { RedisServerClock } from './redis-server-clock';
import { RedisSlots } from './redis-slots';
import type {
  BudgetCounter,
  CommitRequest,
  CommitResult,
  CounterState,
  CrossedThreshold,
  GrantRequest,
  IndexEntry,
  ListRequest,
  ReleaseRequest,
  RenewRequest,
  ReserveRequest,
  ReserveResult,
  SetLimitRequest,
  StorageAdapter,
} from './storage-adapter.interface';

export type { RedisAdapterInput } from './redis-client-ownership';
export type { RedisAdapterOptions, RedisTimeSource } from './redis-adapter.options';

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
  private readonly scripts: ScriptedClient;
  private readonly slots: RedisSlots;
  private readonly rankings: RedisRankings;
  private readonly reserveGroupOf = (request: ReserveRequest, counters: BudgetCounter[]) => this.reserveGroup(request, counters);
  private readonly releaseOf = (request: ReleaseRequest) => this.release(request);
  private readonly shrinkOf = (request: ReserveRequest, counters: BudgetCounter[]) => this.shrink(request, counters);

  constructor(input: RedisAdapterInput, options: RedisAdapterOptions = {}) {
    ({ client: this.client, owned: this.owned } = clientOf(input, this.logger));
    this.isCluster = this.client.isCluster;
    this.timeSource = options.timeSource ?? 'server';
    if (this.timeSource !== 'server' && this.timeSource !== 'app')
      throw new RangeError(`timeSource must be 'server' or 'app', got ${String(this.timeSource)}`);
    if (this.timeSource === 'server') {
      const clock = (this.serverClock = new RedisServerClock(this.client));
      this.now = () => clock.now();
      void clock.sync();
    }
    this.scripts = defineBudgetScripts(this.client);
    this.slots = new RedisSlots(this.isCluster, this.logger);
    this.rateWindows = new RedisRateWindow(this.client, this.timeSource);
    this.rankings = new RedisRankings(this.client);
  }

  /** Counts a request against a rate window on Redis (tier rate limits): one Lua script on this client, Cluster included. */
  hit(request: RateHitRequest): Promise<RateHit> {
    return this.rateWindows.hit(request);
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
    if (this.slots.oneSlot(request.counters)) return this.reserveOneSlot(request);
    const groups = this.slots.groups(request.counters);
    if (groups.length === 1) return this.reserveOneSlot(request);
    return this.slots.reserve(request, groups, this.reserveGroupOf, this.releaseOf, this.shrinkOf);
  }

  /**
   * Idempotent by id (a retried commit counts once). On a Cluster, counters on several slots are
   * first told what the commit counts (beside their holds), then committed slot by slot: a commit
   * that fails on some slot throws (and is retried by the caller); if its instance dies instead,
   * the lease sweep of each slot it missed charges the recorded usage when the hold lapses.
   */
  async commit({ id, counters, amount, cost, now }: CommitRequest): Promise<CommitResult> {
    assertStorable({ amount, cost });
    if (this.slots.spans(counters)) {
      await this.slots.each(counters, (group) =>
        this.scripts.tokenBudgetPrepareCommit(group.length * KEYS_PER_COUNTER, ...scriptKeys(group), this.scriptNow(now), id, amount, cost),
      );
    }
    const states: CounterState[] = new Array(counters.length);
    const crossed: CrossedThreshold[][] = new Array(counters.length);
    await this.slots.each(counters, async (group, indexes) => {
      const reply = (await this.scripts.tokenBudgetCommit(
        group.length * KEYS_PER_COUNTER,
        ...scriptKeys(group, !this.isCluster),
        this.scriptNow(now),
        id,
        amount,
        cost,
        ...scriptArgs(group),
      )) as number[];
      group.forEach((counter, i) => {
        states[indexes[i]] = toState(reply, i * COMMIT_WIDTH);
        crossed[indexes[i]] = crossedAt(reply, i, counter.thresholds);
      });
    });
    // On a Cluster the rankings live on their own slots: written after the counters, with GT so a
    // slower write of an older total never lowers a newer one.
    if (this.isCluster) await this.rankings.afterCommit(counters, states, now);
    return { states, crossed };
  }

  /** Lowers a clamped reservation's holds on `counters` to the request's amount and cost (Cluster, see RedisSlots). */
  private async shrink({ id, amount, cost, now }: ReserveRequest, counters: BudgetCounter[]): Promise<void> {
    await this.scripts.tokenBudgetShrink(
      counters.length * KEYS_PER_COUNTER,
      ...scriptKeys(counters),
      this.scriptNow(now),
      id,
      amount,
      cost,
    );
  }

  async release({ id, counters, now }: ReleaseRequest): Promise<void> {
    await this.slots.each(counters, (group) =>
      this.scripts.tokenBudgetRelease(group.length * KEYS_PER_COUNTER, ...scriptKeys(group), this.scriptNow(now), id),
    );
  }

  async renew({ id, counters, leaseUntil, now }: RenewRequest): Promise<boolean> {
    let held = 0;
    await this.slots.each(counters, async (group) => {
      const leaseMs = Math.max(1, leaseUntil - now);
      held += Number(
        await this.scripts.tokenBudgetRenew(group.length * KEYS_PER_COUNTER, ...scriptKeys(group), this.scriptNow(now), id, leaseMs),
      );
    });
    return held > 0;
  }

  async grant({ counters, tokens, cost, now }: GrantRequest): Promise<CounterState[]> {
    assertStorable({ amount: tokens, cost });
    const states: CounterState[] = new Array(counters.length);
    await this.slots.each(counters, async (group, indexes) => {
      const reply = (await this.scripts.tokenBudgetGrant(
        group.length * KEYS_PER_COUNTER,
        ...scriptKeys(group),
        this.scriptNow(now),
        tokens,
        cost,
        ...scriptArgs(group),
      )) as number[];
      indexes.forEach((original, i) => (states[original] = toState(reply, i * STATE_WIDTH)));
    });
    return states;
  }

  async setLimit({ key, field, tokens, cost }: SetLimitRequest): Promise<void> {
    const multi = this.client.multi();
    const [tokenField, costField] = [overrideField('tokens', field), overrideField('cost', field)];
    if (tokens === null) multi.hdel(key, tokenField);
    else if (tokens !== undefined) multi.hset(key, tokenField, tokens);
    if (cost === null) multi.hdel(key, costField);
    else if (cost !== undefined) multi.hset(key, costField, cost);
    await multi.exec();
  }

  list(request: ListRequest): Promise<IndexEntry[]> {
    return this.rankings.list(request);
  }

  unindex(entries: { key: string; costKey: string; member: string }[]): Promise<void> {
    return this.rankings.unindex(entries);
  }

  async read(counters: BudgetCounter[], now: number): Promise<CounterState[]> {
    const states: CounterState[] = new Array(counters.length);
    await Promise.all(
      this.slots.groups(counters).map(async (group) => {
        const reply = await this.swept(() =>
          this.scripts.tokenBudgetRead(
            group.counters.length * KEYS_PER_COUNTER,
            ...scriptKeys(group.counters),
            this.scriptNow(now),
            ...scriptArgs(group.counters),
          ),
        );
        group.indexes.forEach((original, i) => (states[original] = toState(reply, 1 + i * STATE_WIDTH)));
      }),
    );
    return states;
  }

  async delete(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.client.del(key, leaseKey(key))));
  }

  /** Quits the client if the adapter created it; a client you gave it is yours to close. */
  async onApplicationShutdown(): Promise<void> {
    if (this.owned) await closeOwnedClient(this.client, this.logger);
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
        ...scriptKeys(counters),
        this.scriptNow(request.now),
        request.id,
        request.amount,
        request.cost,
        leaseMs,
        request.policy === 'clamp' ? 1 : 0,
        ...scriptArgs(counters),
      ),
    );
    return toReserveResult(reply, counters.length);
  }
}
