import { BadRequestException, ExecutionContext, HttpException, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerLimitDetail, ThrottlerOptions, ThrottlerRequest } from '@nestjs/throttler';
import { setTimeout as delay } from 'node:timers/promises';
import { assertIdentified, checkedSubjectId, defaultUserId, isAnonymous, RequestUserId } from '../admission/request-identity';
import { onStorageFailure } from '../admission/storage-failure';
import { InvalidSubjectError } from '../invalid-subject.error';
import { rateTracker, rateWindowKey } from '../keys';
import { isPromise, MaybePromise, then } from '../maybe-promise';
import { REQUEST_STATE_KEY, DEFAULT_KEY_PREFIX, DEFAULT_MAX_ID_LENGTH, TOKEN_BUDGET_OPTIONS } from '../token-budget.constants';
import type { TokenBudgetModuleOptions } from '../token-budget-options.interface';
import type { BudgetRequest, BudgetResponse } from '../budget-request';
import { RequestTier, requestTier } from './request-tier';
import type { ResolvedTier } from './resolved-tier';
import { DEFAULT_MAX_QUEUE_MS, TIER_STATE_KEY, TIER_THROTTLER_NAME } from './tier.constants';
import { TierLimitExceededException } from './tier-limit-exceeded.exception';
import { TierResolver } from './tier.resolver';
import { moduleClock } from '../storage/storage-clock';
import { ThrottlerStorageRecord, TierThrottlerRecord, TierThrottlerStorage } from './tier-throttler.storage';

/** Users whose tier state is kept built; the map starts over beyond it. */
const USER_TIER_CACHE_SIZE = 10_000;

/** A throttler storage that counts a tier's hits with its burst: TierThrottlerStorage, or anything with its `hit` method. */
interface TierHitStorage {
  hit(key: string, windowMs: number, limit: number, burst: number): MaybePromise<TierThrottlerRecord>;
}

function countsTierHits(storage: object): storage is TierHitStorage {
  return typeof (storage as Partial<TierHitStorage>).hit === 'function';
}

/**
 * Per-user request rates by tier, on @nestjs/throttler. The tracker is the user (the module's
 * `extractUserId`, or the `getUserId` hook), the throttler's `limit` and `ttl` are the user's tier's,
 * and the counters live in the module's storage, so all instances on one Redis share them.
 *
 * Over the rate, per the tiers' `enforce`: 429 with `Retry-After` and the throttler's
 * `X-RateLimit-*` headers (`reject`), hold the request until the window frees (`queue`), or admit it
 * marked `req.tokenBudget.degraded = { model, tier }` with header `X-TokenBudget-Degraded`
 * (`degrade`).
 *
 * @example
 * @UseGuards(AuthGuard, TierThrottlerGuard, TokenBudgetGuard)
 */
@Injectable()
export class TierThrottlerGuard extends ThrottlerGuard {
  private readonly keyPrefix: string;
  /** True unless a subclass overrides getTracker: the tracker is then the one resolved with the tier. */
  private readonly ownTracker: boolean;
  private readonly userTiers = new Map<string, RequestTier>();
  /** The time rate windows go by: the rate storage's clock when it has one (Redis server time), else the module's `clock`. */
  private readonly now: () => number;

  constructor(
    @Inject(TOKEN_BUDGET_OPTIONS) protected readonly budgetOptions: TokenBudgetModuleOptions,
    // every parameter names its token: ThrottlerGuard's own @Inject()s are inherited by index
    @Inject(TierResolver) protected readonly tiers: TierResolver,
    @Inject(TierThrottlerStorage) storage: TierThrottlerStorage,
    @Inject(Reflector) reflector: Reflector,
  ) {
    const throttlers: ThrottlerOptions[] = [];
    super({ throttlers }, storage, reflector);
    throttlers.push({
      name: TIER_THROTTLER_NAME,
      limit: (context) => then(this.tierOf(context), (state) => state.tier.limit),
      ttl: (context) => then(this.tierOf(context), (state) => state.tier.ttlMs),
      blockDuration: 0,
    });
    this.keyPrefix = budgetOptions.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.ownTracker = this.getTracker === TierThrottlerGuard.prototype.getTracker;
    this.now = moduleClock(this.storageService, budgetOptions);
  }

  /** The user id of the request. Default: the module's `extractUserId`, else `req.user?.id`. May return a Promise. */
  protected getUserId(req: BudgetRequest, _context: ExecutionContext): RequestUserId | Promise<RequestUserId> {
    return defaultUserId(this.budgetOptions, req);
  }

  /** The resolved tier and tracker of the request (resolved once per request). */
  protected tierOf(context: ExecutionContext): MaybePromise<RequestTier> {
    const req = this.getRequestResponse(context).req;
    return this.tierOfRequest(req, context);
  }

  private tierOfRequest(req: BudgetRequest, context: ExecutionContext): MaybePromise<RequestTier> {
    const holder = req as Record<symbol, MaybePromise<RequestTier> | undefined>;
    const existing = holder[TIER_STATE_KEY];
    if (existing) return existing;
    const state = then(this.getUserId(req, context), (userId) => this.tierOfUser(req, userId));
    holder[TIER_STATE_KEY] = state;
    if (isPromise(state))
      state.then(
        (resolved) => (holder[TIER_STATE_KEY] = resolved),
        () => undefined,
      );
    return state;
  }

  /** `user:<id>`, or `ip:<address>` for an anonymous request. */
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const state = requestTier(req) ?? (await (req as Record<symbol, Promise<RequestTier>>)[TIER_STATE_KEY]);
    return state.tracker;
  }

  /** `<prefix>:rate:{<tracker>}`: one window per user across routes; the hash tag keeps it on one Cluster slot. */
  protected override generateKey(_context: ExecutionContext, tracker: string, _name: string): string {
    return rateWindowKey(this.keyPrefix, tracker);
  }

  /** Counts the request in its user's window, then admits, queues, degrades or refuses it. */
  protected override async handleRequest({
    context,
    limit,
    ttl,
    blockDuration,
    throttler,
    getTracker,
    generateKey,
  }: ThrottlerRequest): Promise<boolean> {
    const { req, res } = this.getRequestResponse(context);
    const pending = this.tierOfRequest(req, context);
    const state = isPromise(pending) ? await pending : pending;
    if (limit <= 0) return true; // a tier without a request limit
    const tracker = this.ownTracker && getTracker === this.commonOptions.getTracker ? state.tracker : await getTracker(req, context);
    const key = generateKey(context, tracker, throttler.name ?? TIER_THROTTLER_NAME);
    const tiers = this.budgetOptions.tiers;
    const enforce = tiers?.enforce ?? 'reject';
    const deadline = enforce === 'queue' ? performance.now() + (tiers?.maxQueueMs ?? DEFAULT_MAX_QUEUE_MS) : 0;
    for (;;) {
      let record: ThrottlerStorageRecord & Partial<TierThrottlerRecord>;
      try {
        const counted = this.count(key, ttl, limit, blockDuration, state);
        record = isPromise(counted) ? await counted : counted;
      } catch (error) {
        return this.storageFailed(error);
      }
      const windowLimit = record.limit ?? limit;
      this.setResponseHeader(res, `${this.headerPrefix}-Limit`, windowLimit);
      this.setResponseHeader(res, `${this.headerPrefix}-Remaining`, Math.max(0, windowLimit - record.totalHits));
      this.setResponseHeader(res, `${this.headerPrefix}-Reset`, record.timeToExpire);
      if (!record.isBlocked) return true;
      const waitMs = Math.max(1, (record.resetAt ?? this.now() + record.timeToBlockExpire * 1000) - this.now());
      if (enforce === 'queue' && performance.now() + waitMs <= deadline) {
        await delay(waitMs);
        // a client that went away while held takes no slot
        if (clientGone(req)) throw new ClientGoneException();
        continue;
      }
      if (enforce === 'degrade' && state.tier.degradeTo !== undefined) {
        this.degrade(req, res, state.tier.degradeTo, state.tier.name);
        return true;
      }
      this.setResponseHeader(res, 'Retry-After', record.timeToBlockExpire);
      await this.throwThrottlingException(context, { ...record, limit: windowLimit, ttl, key, tracker });
      return false;
    }
  }

  /** Storage unreachable: 503 (`failMode: 'closed'`), or admitted uncounted (`'open'`), logged either way. */
  private storageFailed(error: unknown): true {
    onStorageFailure(this.budgetOptions, this.logger, 'rates', error);
    return true;
  }

  /** Throws {@link TierLimitExceededException}: 429 naming the tier and when its window frees. */
  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const state = await this.tierOf(context);
    const resetAt = (detail as Partial<TierThrottlerRecord>).resetAt ?? this.now() + detail.timeToBlockExpire * 1000;
    throw new TierLimitExceededException({
      tier: state.tier.name,
      limit: detail.limit,
      ttlMs: detail.ttl,
      resetAt: new Date(resetAt),
      retryAfterSeconds: detail.timeToBlockExpire,
    });
  }

  /** Marks an over-rate request as served by the tier's cheaper model. */
  protected degrade(req: BudgetRequest, res: BudgetResponse, model: string, tier: string): void {
    const holder = req as Record<string, Record<string, unknown> | undefined>;
    // marks the state in place: a TokenBudgetGuard that ran first keeps the same object
    const state = (holder[REQUEST_STATE_KEY] ??= {});
    state.degraded = { model, tier };
    this.setResponseHeader(res, 'X-TokenBudget-Degraded', model);
  }

  private count(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    state: RequestTier,
  ): MaybePromise<ThrottlerStorageRecord & Partial<TierThrottlerRecord>> {
    if (countsTierHits(this.storageService)) return this.storageService.hit(key, ttl, limit, state.tier.burst);
    return this.storageService.increment(key, ttl, limit, blockDuration, TIER_THROTTLER_NAME);
  }

  private tierOfUser(req: BudgetRequest, userId: RequestUserId): MaybePromise<RequestTier> {
    if (isAnonymous(userId)) {
      assertIdentified(
        this.budgetOptions,
        userId,
        "Tier rate limit: the caller could not be identified (extractUserId found no user id); set the module option anonymous: 'allow' to count anonymous requests per IP",
      );
      const tier = this.tiers.anonymousTier;
      return super.getTracker(req).then((ip) => ({ tier, tracker: rateTracker('ip', ip), userId: undefined }));
    }
    const id = this.checkedUserId(userId);
    const tier = this.tiers.resolve(id, req);
    return isPromise(tier) ? tier.then((resolved) => this.userTier(id, resolved)) : this.userTier(id, tier);
  }

  /** The (immutable) tier state of a user, kept per user so the hot path neither escapes ids nor allocates. */
  private userTier(userId: string, tier: ResolvedTier): RequestTier {
    const cached = this.userTiers.get(userId);
    if (cached && cached.tier === tier) return cached;
    if (this.userTiers.size >= USER_TIER_CACHE_SIZE) this.userTiers.clear();
    const state: RequestTier = { tier, tracker: rateTracker('user', userId), userId };
    this.userTiers.set(userId, state);
    return state;
  }

  /** The user id within `maxIdLength`, else 400 (the same check and message as TokenBudgetGuard's). */
  private checkedUserId(userId: string | number): string {
    try {
      return checkedSubjectId('user', userId, this.budgetOptions.maxIdLength ?? DEFAULT_MAX_ID_LENGTH);
    } catch (error) {
      if (error instanceof InvalidSubjectError) throw new BadRequestException(error.message);
      throw error;
    }
  }
}

/** The connection of a held request closed (Express `req.socket`, Fastify `req.raw.socket`). */
function clientGone(req: BudgetRequest): boolean {
  const socket = req?.raw?.socket ?? req?.socket;
  return socket?.destroyed === true;
}

/** Ends a held request whose client left (nobody reads the answer; 499 in access logs). */
class ClientGoneException extends HttpException {
  constructor() {
    super('Client closed the request while it waited for its tier window', 499);
  }
}
