import Anthropic from '@anthropic-ai/sdk';
import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { BudgetService, BudgetUsageAnomalyEvent, TokenBudget, TokenBudgetGuard } from 'nestjs-token-budget';
import OpenAI from 'openai';
import { aiSdkAnthropicCalls } from './fixtures/ai-sdk-anthropic';
import { BillingUpstream, billingProxyController, forward, UNLIMITED_OUTPUT } from './fixtures/billing-upstream';
import { PLATFORMS, post, startBudgetApp, TestApp } from './fixtures/create-app';
import { makeStorage, uniquePrefix } from './fixtures/storages';

type Json = Record<string, unknown>;

const upstream = new BillingUpstream();

const FairProxyController = billingProxyController(upstream);

@Controller()
@UseGuards(TokenBudgetGuard)
class OtherRoutesController {
  /** Fair holds off: a request that does not fit is refused, one that fits holds what it asks. */
  @Post('strict/v1/messages')
  @HttpCode(200)
  @TokenBudget({ feature: 'strict', fairHolds: false })
  strict(@Body() body: Json) {
    return forward(upstream, '/v1/messages', body);
  }

  /** The body is sent as it came: the provider may bill past the hold. */
  @Post('raw/v1/chat/completions')
  @HttpCode(200)
  @TokenBudget({ feature: 'raw', fairHolds: false, enforceOutputLimit: false })
  raw(@Body() body: Json) {
    return forward(upstream, '/v1/chat/completions', body);
  }
}

const LEFT = 100_000;
const messages = [{ role: 'user' as const, content: 'Write a haiku about token budgets.' }];
const chat = (extra: Json = {}) => ({ model: 'gpt-4o-mini', messages, ...extra });
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe.each(PLATFORMS.flatMap((platform) => (['memory', 'redis'] as const).map((kind) => [platform, kind] as const)))(
  'fair holds on %s with %s storage',
  (platform, kind) => {
    let t: TestApp;
    let budgets: BudgetService;
    let closeStorage: () => Promise<void>;
    let anomalies: BudgetUsageAnomalyEvent[];
    const usage = async (user: string) => (await budgets.getUsage(user))[0];

    beforeAll(async () => {
      await upstream.start();
      const storage = makeStorage(kind);
      closeStorage = storage.close;
      t = await startBudgetApp(
        platform,
        {
          storage: storage.storage,
          keyPrefix: uniquePrefix(),
          budgets: [{ scope: 'user', period: 'month', tokens: LEFT }],
          fairHolds: true,
          defaultMaxOutputTokens: 256,
        },
        [FairProxyController, OtherRoutesController],
      );
      budgets = t.app.get(BudgetService);
      budgets.on('usage_anomaly').subscribe((event) => anomalies.push(event));
    });
    afterAll(async () => {
      await t.close();
      await closeStorage();
      await upstream.close();
    });
    beforeEach(() => {
      upstream.reset();
      anomalies = [];
    });

    /**
     * Sends four calls concurrently while the upstream answers none until all four are in flight; at
     * that moment every hold is on the counter. Checks the proof: all admitted, holds within
     * what was left, none billed past its hold, committed within the limit.
     */
    const four = (call: () => Promise<unknown>) => () => Promise.all(Array.from({ length: 4 }, call));

    async function fourAtOnce(user: string, sendFour: () => Promise<unknown>) {
      let reservedTogether = -1;
      upstream.gate(4);
      upstream.onGateOpen = async () => {
        reservedTogether = (await usage(user)).reserved;
      };
      await sendFour();
      expect(upstream.calls).toHaveLength(4);
      const holds = upstream.calls.map((call) => call.inputTokens + (call.limit as number));
      // what the four held together, seen while all four were in flight: exactly prompt + output limit sent each
      expect(reservedTogether).toBe(sum(holds));
      expect(reservedTogether).toBeLessThanOrEqual(LEFT);
      for (const call of upstream.calls) {
        expect(call.limit).toBeGreaterThanOrEqual(256);
        expect(call.limit).toBeLessThan(64_000);
      }
      const after = await usage(user);
      expect(after.reserved).toBe(0);
      // billed = prompt + the whole output limit sent = the hold: nothing past it, nothing clamped
      expect(after.used).toBe(sum(upstream.calls.map((call) => call.inputTokens + call.outputTokens)));
      expect(after.used).toBeLessThanOrEqual(LEFT);
      expect(anomalies).toEqual([]);
      return upstream.calls;
    }

    it('four concurrent calls asking 64,000 output tokens each are all admitted and share what is left', async () => {
      const user = `${platform}-${kind}-raw`;
      await fourAtOnce(
        user,
        four(() =>
          post(`${t.url}/v1/chat/completions`, chat({ max_tokens: 64_000 }), { 'x-user': user }).then((res) =>
            expect(res.status).toBe(200),
          ),
        ),
      );
    });

    it('the openai client: four concurrent chat.completions.create with max_tokens 64,000', async () => {
      const user = `${platform}-${kind}-openai`;
      const client = new OpenAI({ apiKey: 'x', baseURL: `${t.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-user': user } });
      const calls = await fourAtOnce(
        user,
        four(() => client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 64_000 })),
      );
      // the body keeps the field it had (max_tokens), lowered
      expect(calls.every((call) => call.body.max_completion_tokens === undefined && typeof call.body.max_tokens === 'number')).toBe(true);
    });

    it('the Anthropic client: four concurrent messages.stream with max_tokens 64,000 (the SDK refuses such a call unstreamed)', async () => {
      const user = `${platform}-${kind}-anthropic`;
      const client = new Anthropic({ apiKey: 'x', baseURL: t.url, maxRetries: 0, defaultHeaders: { 'x-user': user } });
      const stream = async () => {
        const message = await client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 64_000, messages }).finalMessage();
        expect(message.content[0]).toMatchObject({ type: 'text', text: 'Hello' });
      };
      await fourAtOnce(user, four(stream));
    });

    it('the ai SDK with @ai-sdk/anthropic and no maxOutputTokens (it sends 64,000): served, where a strict route refuses it', async () => {
      const user = `${platform}-${kind}-ai`;
      await budgets.setLimit(user, { tokens: 50_000 });
      // without fair holds the SDK default cannot fit 50,000: the lock-out
      const [refused] = await aiSdkAnthropicCalls(`${t.url}/strict/v1`, user);
      expect(refused).toMatchObject({ ok: false, statusCode: 429 });
      expect(refused.ok === false && refused.responseBody).toMatch(/needs 640\d\d/);
      expect(upstream.calls).toHaveLength(0);
      const [served] = await aiSdkAnthropicCalls(`${t.url}/v1`, user);
      expect(served).toEqual({ ok: true, text: 'Hello' });
      expect(upstream.calls).toHaveLength(1);
      expect(upstream.calls[0].limit).toBeLessThanOrEqual(0.25 * 50_000);
      await budgets.setLimit(user, null);
      upstream.reset();
      const user4 = `${user}-4`;
      await fourAtOnce(user4, async () => {
        const results = await aiSdkAnthropicCalls(`${t.url}/v1`, user4, 4);
        expect(results).toEqual(Array(4).fill({ ok: true, text: 'Hello' }));
      });
    });

    it('a body without an output limit is sent the limit it holds, so 20 concurrent calls on 2,000 tokens stay within 2,000', async () => {
      const user = `${platform}-${kind}-nolimit`;
      await budgets.setLimit(user, { tokens: 2_000 });
      const results = await Promise.all(Array.from({ length: 20 }, () => post(`${t.url}/v1/chat/completions`, chat(), { 'x-user': user })));
      const admitted = results.filter((res) => res.status === 200).length;
      expect(admitted).toBeGreaterThan(0);
      expect(results.every((res) => res.status === 200 || res.status === 429)).toBe(true);
      expect(upstream.calls).toHaveLength(admitted);
      // an OpenAI model without a limit gets max_completion_tokens: the held default (256)
      expect(upstream.calls.map((call) => call.body.max_completion_tokens)).toEqual(Array(admitted).fill(256));
      const after = await usage(user);
      expect(after).toMatchObject({ reserved: 0 });
      expect(after.used).toBeLessThanOrEqual(2_000);
      expect(after.used).toBe(sum(upstream.calls.map((call) => call.inputTokens + call.outputTokens)));
    });

    it('with enforceOutputLimit: false the body goes as it came and the provider may bill past the hold', async () => {
      const user = `${platform}-${kind}-off`;
      const res = await post(`${t.url}/raw/v1/chat/completions`, chat(), { 'x-user': user });
      expect(res.status).toBe(200);
      expect(upstream.calls[0].limit).toBeUndefined();
      const [counted] = await budgets.getUsage({ user, feature: 'raw' });
      expect(counted.used).toBe(upstream.calls[0].inputTokens + UNLIMITED_OUTPUT); // 256 held, 16,384 billed
    });
  },
);

describe.each(['redis', 'cluster'] as const)('fair holds oversubscribed on %s storage', (kind) => {
  let t: TestApp;
  let budgets: BudgetService;
  let closeStorage: () => Promise<void>;
  beforeAll(async () => {
    await upstream.start();
    const storage = makeStorage(kind);
    closeStorage = storage.close;
    t = await startBudgetApp(
      'express',
      { storage: storage.storage, keyPrefix: uniquePrefix(), budgets: [{ scope: 'user', period: 'month', tokens: LEFT }], fairHolds: true },
      [FairProxyController],
    );
    budgets = t.app.get(BudgetService);
  });
  afterAll(async () => {
    await t.close();
    await closeStorage();
    await upstream.close();
  });

  it('16 concurrent 64,000-token calls that read the same "left": the holds never sum past it, and no call is billed past its hold', async () => {
    upstream.reset();
    const user = `${kind}-sixteen`;
    const results = await Promise.all(
      Array.from({ length: 16 }, () => post(`${t.url}/v1/chat/completions`, chat({ max_tokens: 64_000 }), { 'x-user': user })),
    );
    const admitted = results.filter((res) => res.status === 200).length;
    expect(results.every((res) => res.status === 200 || res.status === 429)).toBe(true);
    // with a share of 1/4, at least four calls arriving together are served
    expect(admitted).toBeGreaterThanOrEqual(4);
    expect(upstream.calls).toHaveLength(admitted);
    const billed = upstream.calls.map((call) => call.inputTokens + call.outputTokens);
    const after = (await budgets.getUsage(user))[0];
    expect(after.reserved).toBe(0);
    expect(after.used).toBe(sum(billed));
    expect(after.used).toBeLessThanOrEqual(LEFT);
    for (const call of upstream.calls) expect(call.limit).toBeGreaterThanOrEqual(256);
  });
});

describe.each(PLATFORMS)("the output limit sent under reservationPolicy: 'clamp' on %s", (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    await upstream.start();
    t = await startBudgetApp(platform, { budgets: [{ scope: 'user', period: 'month', tokens: 300 }], reservationPolicy: 'clamp' }, [
      FairProxyController,
    ]);
  });
  afterAll(async () => {
    await t.close();
    await upstream.close();
  });

  it('a clamped hold lowers the body to the output it holds, so the provider bills no more than the hold', async () => {
    upstream.reset();
    const res = await post(`${t.url}/v1/chat/completions`, chat({ max_tokens: 1_000 }), { 'x-user': 'clamped' });
    expect(res.status).toBe(200);
    const [call] = upstream.calls;
    expect(call.limit).toBe(300 - call.inputTokens);
    expect((await t.app.get(BudgetService).getUsage('clamped'))[0]).toMatchObject({ used: 300, reserved: 0 });
  });
});
