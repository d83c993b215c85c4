import { BillingUpstream } from './fixtures/billing-upstream';
import { PLATFORMS, post, TestApp } from './fixtures/create-app';
import { startGateway, testKeys, userBudget } from './fixtures/gateway-app';
import { sample, scrape } from './fixtures/prometheus';

/**
 * The repro through the example gateway: an upstream answering `prompt_tokens:
 * 5000000000000` was charged as is and locked its user out for the month. Now it is charged at 10
 * times the prompt the gateway counted, counted in /metrics, and the user is still served.
 */
describe.each(PLATFORMS)('the gateway in front of an upstream reporting implausible usage (%s)', (platform) => {
  const upstream = new BillingUpstream();
  let t: TestApp;
  const key = { authorization: 'Bearer sk-anomaly' };
  const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello in twelve words.' }], max_tokens: 50 };

  beforeAll(async () => {
    await upstream.start();
    t = await startGateway(
      platform,
      { UPSTREAM_OPENAI_URL: `${upstream.url}/v1`, MONTHLY_TOKENS_PER_USER: '100000' },
      { keys: testKeys('anomaly'), log: { level: 'silent' } },
    );
  });
  afterAll(async () => {
    await t?.close();
    await upstream.close();
  });

  it('charges prompt_tokens 5,000,000,000,000 at its bound, counts it in /metrics, and keeps serving the user', async () => {
    upstream.reportUsage = (call) => ({
      prompt_tokens: 5_000_000_000_000,
      completion_tokens: call.outputTokens,
      total_tokens: 5_000_000_000_000 + call.outputTokens,
    });
    const res = await post(`${t.url}/v1/chat/completions`, chat, key);
    expect(res.status).toBe(200);
    const prompt = upstream.calls[0].inputTokens;
    const budget = await userBudget(t.url, 'sk-anomaly');
    expect(budget).toMatchObject({ used: prompt * 10 + 50, reserved: 0 });
    expect(sample(await scrape(t.url), 'tokenbudget_usage_anomalies_total', { reason: 'input_over_bound' })).toBe(1);
    upstream.reportUsage = undefined;
    expect((await post(`${t.url}/v1/chat/completions`, chat, key)).status).toBe(200);
    expect((await userBudget(t.url, 'sk-anomaly')).used).toBe(prompt * 10 + 50 + prompt + 50);
  });
});
