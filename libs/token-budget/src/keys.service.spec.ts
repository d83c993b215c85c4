import { Test } from '@nestjs/testing';
import { BudgetService } from './budget.service';
import { counterKey, leaseKey, overrideKey, rankingKeys, subjectTag } from './keys';
import { MemoryAdapter } from './storage/memory.adapter';
import type { BudgetCounter } from './storage/storage-adapter.interface';
import { TokenBudgetModule } from './token-budget.module';

/**
 * The counters BudgetService hands to storage carry the keys of the schema (keys.ts), byte for
 * byte: the exact strings, not just what the builders return today.
 */
describe('keys BudgetService writes', () => {
  it('are the schema keys: counter, previous period, overrides, rankings', async () => {
    const storage = new MemoryAdapter();
    const reserve = jest.spyOn(storage, 'reserve');
    const moduleRef = await Test.createTestingModule({
      imports: [
        TokenBudgetModule.forRoot({
          storage,
          clock: () => Date.UTC(2026, 10, 4, 12),
          budgets: [
            { scope: 'user', period: 'month', tokens: 1_000, rollover: { enabled: true } },
            { scope: 'tenant', period: 'day', tokens: 1_000, timezone: 'Asia/Tokyo', feature: 'sum up' },
          ],
        }),
      ],
    }).compile();
    moduleRef.useLogger(false);
    await moduleRef.init();
    const reservation = await moduleRef.get(BudgetService).reserve({ user: '4:2', tenant: 'acme', feature: 'sum up' }, 10);
    const counters = reserve.mock.calls[0][0].counters as BudgetCounter[];
    const user = counters.find((c) => c.key.includes('{user:'))!;
    expect(user.key).toBe('tokenbudget:budget:{user:4%3A2}:2026-11');
    expect(user.key).toBe(counterKey(subjectTag('tokenbudget', 'user', '4:2'), '2026-11'));
    expect(user.previousKey).toBe('tokenbudget:budget:{user:4%3A2}:2026-10');
    expect(leaseKey(user.key)).toBe('tokenbudget:budget:{user:4%3A2}:2026-11:leases');
    expect(user.override).toEqual({ key: 'tokenbudget:budget:{user:4%3A2}:limits', field: 'user||month|' });
    expect(user.override!.key).toBe(overrideKey(subjectTag('tokenbudget', 'user', '4:2')));
    expect(user.index).toEqual({
      key: 'tokenbudget:rank:{user||month|}:2026-11',
      costKey: 'tokenbudget:rank:{user||month|}:2026-11:cost',
      member: '4:2',
    });
    expect(rankingKeys('tokenbudget', { identity: 'user||month|' }, '2026-11')).toEqual({
      key: user.index!.key,
      costKey: user.index!.costKey,
    });
    const tenant = counters.find((c) => c.key.includes('{tenant:'))!;
    expect(tenant.key).toBe('tokenbudget:budget:{tenant:acme}:f:sum%20up:2026-11-04@Asia/Tokyo');
    expect(tenant.key).toBe(counterKey(subjectTag('tokenbudget', 'tenant', 'acme'), '2026-11-04', 'sum up', '@Asia/Tokyo'));
    expect(tenant.override).toEqual({ key: 'tokenbudget:budget:{tenant:acme}:limits', field: 'tenant|sum up|day|@Asia/Tokyo' });
    await reservation.release();
    await moduleRef.close();
  });
});
