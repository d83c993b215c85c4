import type { IoredisCluster as Cluster, IoredisClient as Redis } from './redis-client';
import { RATE_HIT_SCRIPT } from './redis-scripts/rate-hit.script';
import type { RateHit, RateHitRequest, RateWindowStore } from './rate-window.interface';

type RateClient = (Redis | Cluster) & {
  tokenBudgetRateHit(key: string, ...args: number[]): Promise<[number, number, number, string, string]>;
};

/**
 * Rate windows on Redis (single node or Cluster): one Lua script per hit, on the client of the
 * RedisAdapter (no second connection), so every app instance counts against the same windows.
 * Windows go by the Redis server's clock unless `timeSource` is `'app'`.
 */
export class RedisRateWindow implements RateWindowStore {
  private readonly client: RateClient;

  constructor(
    client: Redis | Cluster,
    private readonly timeSource: 'server' | 'app' = 'server',
  ) {
    client.defineCommand('tokenBudgetRateHit', { numberOfKeys: 1, lua: RATE_HIT_SCRIPT });
    this.client = client as RateClient;
  }

  async hit({ key, windowMs, limit, burst, now }: RateHitRequest): Promise<RateHit> {
    const [admitted, hits, effective, resetAt, at] = await this.client.tokenBudgetRateHit(
      key,
      this.timeSource === 'app' ? now : 0,
      windowMs,
      limit,
      burst,
    );
    return { admitted: admitted === 1, hits: Number(hits), limit: Number(effective), resetAt: Number(resetAt), now: Number(at) };
  }
}
