import type { IoredisCluster as Cluster, IoredisClient as Redis } from './redis-client';
import type { BudgetCounter, CounterState, IndexEntry, ListRequest } from './storage-adapter.interface';

/**
 * RedisAdapter's rankings (for `listUsage`): one sorted set per rule and period by committed tokens,
 * one by committed money. On a single node the commit script updates them; on a Cluster they live
 * on their own slot, so they are updated after the commit ({@link afterCommit}).
 */
export class RedisRankings {
  constructor(private readonly client: Redis | Cluster) {}

  async list({ key, limit }: ListRequest): Promise<IndexEntry[]> {
    const reply = await this.client.zrevrange(key, 0, limit > 0 ? limit - 1 : -1, 'WITHSCORES');
    const entries: IndexEntry[] = [];
    for (let i = 0; i < reply.length; i += 2) entries.push({ member: reply[i], score: Number(reply[i + 1]) });
    return entries;
  }

  async unindex(entries: { key: string; costKey: string; member: string }[]): Promise<void> {
    await Promise.all(entries.flatMap(({ key, costKey, member }) => [this.client.zrem(key, member), this.client.zrem(costKey, member)]));
  }

  /** Raises each counter's scores to its committed figures (never lowers them), with the counter's expiry. */
  async afterCommit(counters: BudgetCounter[], states: CounterState[], now: number): Promise<void> {
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
}
