import type { RedisServerHandle } from './redis-server';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __redisServer__?: RedisServerHandle }).__redisServer__;
  await server?.stop();
}
