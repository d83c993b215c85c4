import { randomUUID } from 'node:crypto';
import { TestApp } from './fixtures/create-app';
import { startGateway, testKeys, userBudget } from './fixtures/gateway-app';

/** Two gateway instances (one on each platform) on the same Redis, as two processes behind a load balancer. */
describe('two gateway instances on one REDIS_URL', () => {
  const user = `redis-${randomUUID().slice(0, 8)}`;
  const key = `sk-${user}`;
  let a: TestApp;
  let b: TestApp;
  const chat = (t: TestApp, maxTokens: number) =>
    fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: maxTokens }),
    });

  beforeAll(async () => {
    const env = { REDIS_URL: process.env.REDIS_URL!, MONTHLY_TOKENS_PER_USER: '1000' };
    a = await startGateway('express', env, { keys: testKeys(user) });
    b = await startGateway('fastify', env, { keys: testKeys(user) });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('usage charged on one instance is seen on the other, and concurrent calls on both never overshoot the limit', async () => {
    const first = (await (await chat(a, 100)).json()) as { usage: { total_tokens: number } };
    const perCall = first.usage.total_tokens; // the mock bills the prompt and max_tokens: the estimate
    expect(await userBudget(b.url, key)).toMatchObject({ used: perCall, reserved: 0, limit: 1000 });

    const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => chat(i % 2 ? a : b, 100)));
    const admitted = responses.filter((r) => r.status === 200).length;
    expect(responses.every((r) => r.status === 200 || r.status === 402)).toBe(true);
    expect(admitted).toBe(Math.floor((1000 - perCall) / perCall));
    await Promise.all(responses.map((r) => r.text()));
    const [onA, onB] = await Promise.all([userBudget(a.url, key), userBudget(b.url, key)]);
    expect(onA).toEqual(onB);
    expect(onA).toMatchObject({ used: perCall * (admitted + 1), reserved: 0 });
    expect(onA.used).toBeLessThanOrEqual(1000);
  });
});
