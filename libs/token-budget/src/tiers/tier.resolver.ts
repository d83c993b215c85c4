import { Inject, Injectable, Logger } from '@nestjs/common';
import { isPromise, MaybePromise } from '../maybe-promise';
import { TOKEN_BUDGET_OPTIONS } from '../token-budget.constants';
import type { TokenBudgetModuleOptions } from '../token-budget-options.interface';
import type { BudgetRequest } from '../budget-request';
import { ResolvedTier, resolveTier } from './resolved-tier';
import type { TierOptions } from './tier-options.interface';

export const DEFAULT_TIER_CACHE_TTL_MS = 60_000;
export const DEFAULT_TIER_RESOLVE_TIMEOUT_MS = 2_000;
/** Users whose resolved tier is kept; the oldest entry goes first beyond it. */
const CACHE_SIZE = 100_000;

interface CachedTier {
  name: string;
  /** Clock ms after which `resolve` is asked again. */
  until: number;
  /** True once `resolve` answered for this user at least once. */
  answered: boolean;
}

/**
 * Finds the tier of a user: static `assignments` first, then `resolve` (cached for `cacheTtlMs`,
 * one lookup in flight per user), else the default tier. When `resolve` fails, the last tier it
 * gave is kept, or the default tier when it never answered for that user (logged).
 */
@Injectable()
export class TierResolver {
  private readonly logger = new Logger(TierResolver.name);
  private readonly tiers: TierOptions | undefined;
  private readonly byName = new Map<string, ResolvedTier>();
  private readonly cache = new Map<string, CachedTier>();
  private readonly inFlight = new Map<string, Promise<ResolvedTier>>();
  private readonly now: () => number;
  private readonly cacheTtlMs: number;
  private readonly resolveTimeoutMs: number;

  constructor(@Inject(TOKEN_BUDGET_OPTIONS) options: TokenBudgetModuleOptions) {
    this.tiers = options.tiers;
    this.now = options.clock ?? Date.now;
    this.cacheTtlMs = this.tiers?.cacheTtlMs ?? DEFAULT_TIER_CACHE_TTL_MS;
    this.resolveTimeoutMs = this.tiers?.resolveTimeoutMs ?? DEFAULT_TIER_RESOLVE_TIMEOUT_MS;
    for (const [name, definition] of Object.entries(this.tiers?.definitions ?? {})) this.byName.set(name, resolveTier(name, definition));
  }

  /** True when the module options define tiers. */
  get enabled(): boolean {
    return this.tiers !== undefined;
  }

  /** True when some tier overrides a token budget or adds a per-minute one. */
  get overridesBudgets(): boolean {
    return [...this.byName.values()].some((tier) => Object.keys(tier.budgets).length > 0 || tier.tokensPerMinute > 0);
  }

  /** The tier of this name; throws when there is none. */
  tier(name: string): ResolvedTier {
    const tier = this.byName.get(name);
    if (!tier) throw new Error(`Unknown tier '${name}'; the tiers are: ${[...this.byName.keys()].join(', ')}`);
    return tier;
  }

  /** The default tier. */
  get defaultTier(): ResolvedTier {
    return this.tier(this.options.default);
  }

  /** The tier of requests without a user. */
  get anonymousTier(): ResolvedTier {
    return this.tier(this.options.anonymousTier ?? this.options.default);
  }

  /** The tier of `userId`. Synchronous unless `resolve` has to be asked. */
  resolve(userId: string, req?: BudgetRequest): MaybePromise<ResolvedTier> {
    const options = this.options;
    const assigned = options.assignments?.[userId];
    if (assigned !== undefined) return this.tier(assigned);
    if (!options.resolve) return this.defaultTier;
    const cached = this.cache.get(userId);
    if (cached && this.now() < cached.until) return this.tier(cached.name);
    const pending = this.inFlight.get(userId);
    if (pending) return pending;
    let answer: ReturnType<NonNullable<TierOptions['resolve']>>;
    try {
      answer = options.resolve(userId, req);
    } catch (error) {
      return this.failed(userId, cached, error);
    }
    if (!isPromise(answer)) return this.answered(userId, answer, cached);
    const lookup = this.bounded(userId, answer, cached);
    this.inFlight.set(userId, lookup);
    void lookup.finally(() => this.inFlight.delete(userId));
    return lookup;
  }

  /**
   * The tier `answer` gives, or after `resolveTimeoutMs` the tier a failure would give (a billing
   * system that hangs must not hang the user's requests); a late answer still updates the cache.
   */
  private bounded(userId: string, answer: Promise<string | undefined | null>, cached: CachedTier | undefined): Promise<ResolvedTier> {
    const timeoutMs = this.resolveTimeoutMs;
    return new Promise<ResolvedTier>((settle, fail) => {
      let timedOut = false;
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              timedOut = true;
              try {
                settle(this.failed(userId, cached, new Error(`no answer within resolveTimeoutMs (${timeoutMs} ms)`)));
              } catch (error) {
                fail(error);
              }
            }, timeoutMs)
          : undefined;
      timer?.unref();
      answer.then(
        (name) => {
          clearTimeout(timer);
          try {
            settle(this.answered(userId, name, cached));
          } catch (error) {
            fail(error);
          }
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (timedOut) return;
          try {
            settle(this.failed(userId, cached, error));
          } catch (failure) {
            fail(failure);
          }
        },
      );
    });
  }

  /** Forgets the cached tier of a user (or of everyone), so the next request asks `resolve` again. */
  forget(userId?: string): void {
    if (userId === undefined) this.cache.clear();
    else this.cache.delete(userId);
  }

  private get options(): TierOptions {
    if (!this.tiers) throw new Error('No tiers are configured: set the `tiers` option of TokenBudgetModule to use TierThrottlerGuard');
    return this.tiers;
  }

  private answered(userId: string, name: string | undefined | null, previous: CachedTier | undefined): ResolvedTier {
    if (name === undefined || name === null || name === '') name = this.options.default;
    else if (!this.byName.has(name)) {
      const fallback = previous?.answered ? previous.name : this.options.default;
      this.logger.warn(
        `The tier resolver gave the unknown tier '${name}' for user '${userId}'; using '${fallback}'. Known tiers: ${[...this.byName.keys()].join(', ')}`,
      );
      name = fallback;
    }
    this.remember(userId, { name, until: this.now() + this.cacheTtlMs, answered: true });
    return this.tier(name);
  }

  private failed(userId: string, previous: CachedTier | undefined, error: unknown): ResolvedTier {
    const name = previous?.answered ? previous.name : this.options.default;
    this.logger.warn(
      `The tier resolver failed for user '${userId}' (${error instanceof Error ? error.message : String(error)}); using ${previous?.answered ? `its last known tier '${name}'` : `the default tier '${name}'`} for the next ${this.cacheTtlMs} ms`,
    );
    this.remember(userId, { name, until: this.now() + this.cacheTtlMs, answered: previous?.answered ?? false });
    return this.tier(name);
  }

  private remember(userId: string, entry: CachedTier): void {
    this.cache.delete(userId);
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(userId, entry);
  }
}
