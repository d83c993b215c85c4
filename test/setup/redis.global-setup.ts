import { startRedisServer } from './redis-server';

/**
 * Starts one redis-server for the e2e project on a free loopback port (or uses REDIS_URL when it
 * is set) and publishes its URL as REDIS_URL to the test workers. Fails, never skips, when
 * neither is available. Silences the example gateway's JSON request logs unless LOG_LEVEL is set.
 */
export default async function globalSetup(): Promise<void> {
  // the gateway's request logs (JSON on stdout) stay out of the test output; log tests capture them
  process.env.LOG_LEVEL ??= 'silent';
  if (process.env.REDIS_URL) return;
  const server = await startRedisServer();
  process.env.REDIS_URL = server.url;
  (globalThis as { __redisServer__?: typeof server }).__redisServer__ = server;
}
