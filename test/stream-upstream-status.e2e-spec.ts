import { BudgetService } from 'nestjs-token-budget';
import { eventually, PLATFORMS, TestApp } from './fixtures/create-app';
import { FakeProvider } from './fixtures/fake-provider';
import { startStreamApp } from './fixtures/stream-test.controller';

/**
 * A proxy route returns `fetch(upstream)`. When the upstream answers an error status (429, 400,
 * 500: the call did not run and is not billed), the hold is released; it is not charged as if the
 * call had run.
 */
describe.each(PLATFORMS)('raw passthrough of an upstream error response on %s', (platform) => {
  let upstream: FakeProvider;
  let t: TestApp;
  beforeAll(async () => {
    upstream = await new FakeProvider().start();
    t = await startStreamApp(platform, upstream.url, { budgets: [{ scope: 'user', period: 'day', tokens: 100_000 }] });
  });
  afterAll(async () => {
    await t?.close();
    await upstream.close();
  });

  it.each(['429', '400', '503'])('upstream %s: the error body reaches the client, nothing is charged', async (status) => {
    const user = `${platform}-upstream-${status}`;
    const response = await fetch(`${t.url}/raw/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': user, 'x-fake-status': status },
      body: '{}',
    });
    expect(JSON.parse(await response.text())).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
    const budgets = t.app.get(BudgetService);
    await eventually(async () => (await budgets.getUsage(user))[0].reserved === 0, 5_000);
    expect((await budgets.getUsage(user))[0]).toMatchObject({ used: 0, reserved: 0 });
  });

  it('a successful stream on the same route is still charged (control)', async () => {
    const user = `${platform}-upstream-ok`;
    await (
      await fetch(`${t.url}/raw/chat`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-user': user }, body: '{}' })
    ).text();
    const budgets = t.app.get(BudgetService);
    await eventually(async () => (await budgets.getUsage(user))[0].reserved === 0, 5_000);
    expect((await budgets.getUsage(user))[0].used).toBeGreaterThan(12);
  });
});
