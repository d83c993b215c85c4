import type { RedisClusterHandle } from './redis-cluster';
import type { RedisServerHandle } from './redis-server';

export default async function globalTeardown(): Promise<void> {
  const started = globalThis as { __redisServer__?: RedisServerHandle; __redisCluster__?: RedisClusterHandle };
  await Promise.all([started.__redisServer__?.stop(), started.__redisCluster__?.stop()]);
}
