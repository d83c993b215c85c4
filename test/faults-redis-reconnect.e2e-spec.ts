import { RedisAdapter } from 'nestjs-token-budget';
import { eventually } from './fixtures/create-app';
import { startRedisServer } from './setup/redis-server';

describe('a client RedisAdapter creates, while Redis is away', () => {
  it('tries to reconnect at least every 500 ms however long the outage, and shuts down at once', async () => {
    const server = await startRedisServer();
    const adapter = new RedisAdapter(server.url);
    const delays: number[] = [];
    adapter.client.on('reconnecting', (delay: number) => delays.push(delay));
    adapter.client.on('error', () => undefined);
    try {
      await eventually(async () => adapter.client.status === 'ready');
      server.signal('SIGKILL');
      await server.exited;
      // ioredis alone waits 50 ms more on each attempt, up to 2 s: by the 15th attempt 750 ms
      await eventually(async () => delays.length >= 15, 15_000);
      expect(Math.max(...delays)).toBe(500);
      const closing = Date.now();
      await adapter.onApplicationShutdown();
      // a QUIT would wait for an 'end' the client never emits: anything under a second is 'at once' (a loaded CI box included)
      expect(Date.now() - closing).toBeLessThan(1_000);
    } finally {
      adapter.client.disconnect();
      await server.stop();
    }
  });
});
