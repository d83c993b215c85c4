import { MemoryRateWindow } from './memory-rate-window';

describe('MemoryRateWindow', () => {
  let windows: MemoryRateWindow;
  const hit = (now: number, limit = 3, burst = 0, key = 'k') => windows.hit({ key, windowMs: 1_000, limit, burst, now });

  beforeEach(() => (windows = new MemoryRateWindow()));
  afterEach(() => windows.close());

  it('admits limit hits per window, does not count refused hits, and opens the next window where the last ended', () => {
    expect([hit(0), hit(10), hit(20), hit(30)].map((h) => h.admitted)).toEqual([true, true, true, false]);
    expect(hit(40)).toEqual({ admitted: false, hits: 3, limit: 3, resetAt: 1_000 });
    expect(hit(999).admitted).toBe(false);
    expect(hit(1_000)).toEqual({ admitted: true, hits: 1, limit: 3, resetAt: 2_000 });
  });

  it('gives a window the unused hits of the one just before, up to burst', () => {
    expect(hit(0, 3, 2).limit).toBe(5); // a quiet user (no previous window) gets the burst
    for (let t = 1; t < 5; t++) hit(t, 3, 2);
    expect(hit(6, 3, 2).admitted).toBe(false);
    // 5 used in [0, 1000): nothing unused, no burst in [1000, 2000)
    expect(hit(1_000, 3, 2).limit).toBe(3);
    // 1 used in [1000, 2000): 2 unused, burst 2 in [2000, 3000)
    expect(hit(2_000, 3, 2).limit).toBe(5);
    // idle for more than a window: a fresh window at the next hit, full burst
    expect(hit(10_500, 3, 2)).toMatchObject({ limit: 5, resetAt: 11_500 });
  });

  it('keeps one record per key whatever the number of hits, and sweeps windows two windows old', () => {
    for (let i = 0; i < 100_000; i++) hit(i % 1_000, 1_000_000);
    expect(windows.size).toBe(1);
    hit(0, 3, 0, 'other');
    windows.sweep(1_999);
    expect(windows.size).toBe(2);
    windows.sweep(2_000);
    expect(windows.size).toBe(0);
  });
});
