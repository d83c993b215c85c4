import type { Redis } from 'ioredis';
import { RedisServerClock } from './redis-server-clock';

/** A client whose server clock runs `skewMs` away from this machine's (what TIME would answer). */
function skewedServer(skewMs: number) {
  const calls = { time: 0 };
  const client = {
    time: async () => {
      calls.time++;
      const ms = Date.now() + skewMs;
      return [String(Math.floor(ms / 1000)), String((ms % 1000) * 1000)];
    },
  };
  return { client: client as unknown as Redis, calls };
}

describe('RedisServerClock', () => {
  it("reads the server's time, not the machine's, once TIME has answered", async () => {
    const { client } = skewedServer(3_600_000);
    const clock = new RedisServerClock(client);
    await clock.sync();
    expect(Math.abs(clock.now() - (Date.now() + 3_600_000))).toBeLessThan(1_000);
  });

  it("reads the machine's clock before the server ever answered", async () => {
    const clock = new RedisServerClock({ time: () => Promise.reject(new Error('down')) } as unknown as Redis);
    await clock.sync(); // never rejects
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(1_000);
  });

  it('asks TIME once for concurrent callers, and not again within 10 s', async () => {
    const { client, calls } = skewedServer(-120_000);
    const clock = new RedisServerClock(client);
    await Promise.all([clock.sync(), clock.sync(), clock.sync()]);
    for (let i = 0; i < 1_000; i++) clock.now();
    expect(calls.time).toBe(1);
    expect(Math.abs(clock.now() - (Date.now() - 120_000))).toBeLessThan(1_000);
  });

  it('never goes back by a round-trip error at a resync, but takes a real step back of the server clock', async () => {
    let skewMs = 0;
    const client = {
      time: async () => {
        const ms = Date.now() + skewMs;
        return [String(Math.floor(ms / 1000)), String((ms % 1000) * 1000)];
      },
    } as unknown as Redis;
    const clock = new RedisServerClock(client);
    await clock.sync();
    const before = clock.now();
    skewMs = -400; // the next TIME answers 400 ms behind what the last one implied
    await clock.sync();
    const readings = Array.from({ length: 100 }, () => clock.now());
    expect(Math.min(...readings)).toBeGreaterThanOrEqual(before);
    for (let i = 1; i < readings.length; i++) expect(readings[i]).toBeGreaterThanOrEqual(readings[i - 1]);
    skewMs = -3_600_000; // the server's clock was set back an hour
    await clock.sync();
    expect(Math.abs(clock.now() - (Date.now() - 3_600_000))).toBeLessThan(1_000);
  });
});
