import Anthropic from '@anthropic-ai/sdk';
import { BudgetService, BudgetUsageAnomalyEvent, estimateRequestBody, TokenBudgetModuleOptions } from 'nestjs-token-budget';
import OpenAI from 'openai';
import { BillingUpstream, billingProxyController } from './fixtures/billing-upstream';
import { eventually, PLATFORMS, post, startBudgetApp, TestApp } from './fixtures/create-app';
import { makeStorage, uniquePrefix } from './fixtures/storages';

type Json = Record<string, unknown>;

const upstream = new BillingUpstream();

const AnomalyProxyController = billingProxyController(upstream);

const messages = [{ role: 'user' as const, content: 'Write a haiku about token budgets.' }];
const chat = (extra: Json = {}) => ({ model: 'gpt-4o-mini', messages, ...extra });
/** The prompt the library counts for `chat()`, and the bound on the input charged (10 times it). */
const PROMPT = estimateRequestBody(chat())!.inputTokens;
const HUGE = 5_000_000_000_000;

const options = (extra: Partial<TokenBudgetModuleOptions> = {}): TokenBudgetModuleOptions => ({
  keyPrefix: uniquePrefix(),
  // a small money budget shared by everyone: one implausible answer charged as is would lock them all out
  budgets: [
    { scope: 'user', period: 'month', tokens: 100_000 },
    { scope: 'global', period: 'month', costUsd: 5 },
  ],
  defaultMaxOutputTokens: 256,
  ...extra,
});

describe.each(PLATFORMS.flatMap((platform) => (['memory', 'redis'] as const).map((kind) => [platform, kind] as const)))(
  'implausible usage on %s with %s storage',
  (platform, kind) => {
    let t: TestApp;
    let budgets: BudgetService;
    let closeStorage: () => Promise<void>;
    let anomalies: BudgetUsageAnomalyEvent[];
    const usage = async (user: string) => (await budgets.getUsage(user))[0];
    const settled = (user: string) =>
      eventually(async () => (await usage(user)).reserved === 0 && (await usage(user)).requests > 0, 10_000);

    beforeAll(async () => {
      await upstream.start();
      const storage = makeStorage(kind);
      closeStorage = storage.close;
      t = await startBudgetApp(platform, { ...options(), storage: storage.storage }, [AnomalyProxyController]);
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

    it('prompt_tokens 5,000,000,000,000 is charged at most 10 times the counted prompt, emitted, and locks nobody out', async () => {
      const user = `${platform}-${kind}-huge`;
      upstream.reportUsage = (call) => ({
        prompt_tokens: HUGE,
        completion_tokens: call.outputTokens,
        total_tokens: HUGE + call.outputTokens,
      });
      expect((await post(`${t.url}/v1/chat/completions`, chat(), { 'x-user': user })).status).toBe(200);
      expect(anomalies).toHaveLength(1);
      expect(anomalies[0]).toMatchObject({
        type: 'usage_anomaly',
        reasons: ['input_over_bound'],
        reported: { inputTokens: HUGE, outputTokens: 256 },
        charged: { inputTokens: PROMPT * 10, outputTokens: 256, totalTokens: PROMPT * 10 + 256 },
        bounds: { countedInputTokens: PROMPT, inputTokens: PROMPT * 10, outputTokens: 256 },
      });
      expect(await usage(user)).toMatchObject({ used: PROMPT * 10 + 256, reserved: 0 });
      const [, global] = await budgets.getUsage(user);
      expect(global.costUsd).toBeLessThan(0.01);
      // the user (and everyone on the global money budget) is still served
      upstream.reportUsage = undefined;
      expect((await post(`${t.url}/v1/chat/completions`, chat(), { 'x-user': user })).status).toBe(200);
      expect((await post(`${t.url}/v1/chat/completions`, chat(), { 'x-user': `${user}-other` })).status).toBe(200);
    });

    it('output past the limit sent is charged as the limit', async () => {
      const user = `${platform}-${kind}-output`;
      upstream.reportUsage = (call) => ({
        prompt_tokens: call.inputTokens,
        completion_tokens: 1_000_000_000,
        total_tokens: call.inputTokens + 1_000_000_000,
        completion_tokens_details: { reasoning_tokens: 999_999_000 },
      });
      expect((await post(`${t.url}/v1/chat/completions`, chat({ max_tokens: 300 }), { 'x-user': user })).status).toBe(200);
      expect(anomalies).toEqual([
        expect.objectContaining({
          reasons: ['output_over_limit'],
          charged: expect.objectContaining({ outputTokens: 300, reasoningTokens: 300, totalTokens: PROMPT + 300 }),
        }),
      ]);
      expect(await usage(user)).toMatchObject({ used: PROMPT + 300, reserved: 0 });
    });

    it('a streamed answer (openai client, include_usage chunk) reporting a huge prompt is clamped too', async () => {
      const user = `${platform}-${kind}-stream`;
      upstream.reportUsage = (call) => ({
        prompt_tokens: HUGE,
        completion_tokens: call.outputTokens,
        total_tokens: HUGE + call.outputTokens,
      });
      const client = new OpenAI({ apiKey: 'x', baseURL: `${t.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-user': user } });
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe('Hello');
      await settled(user);
      expect(anomalies).toEqual([
        expect.objectContaining({ reasons: ['input_over_bound'], reported: expect.objectContaining({ inputTokens: HUGE }) }),
      ]);
      expect(await usage(user)).toMatchObject({ used: PROMPT * 10 + 256, reserved: 0 });
    });

    it('an Anthropic stream whose message_delta reports output past max_tokens is charged max_tokens', async () => {
      const user = `${platform}-${kind}-anthropic`;
      upstream.reportUsage = (call) => ({ input_tokens: call.inputTokens, output_tokens: 1_000_000_000 });
      const client = new Anthropic({ apiKey: 'x', baseURL: t.url, maxRetries: 0, defaultHeaders: { 'x-user': user } });
      const body = { model: 'claude-sonnet-4-5', max_tokens: 500, messages };
      const message = await client.messages.stream(body).finalMessage();
      expect(message.usage.output_tokens).toBe(1_000_000_000); // the client sees the upstream's figures
      await settled(user);
      const prompt = estimateRequestBody(body)!.inputTokens;
      expect(anomalies).toEqual([expect.objectContaining({ reasons: ['output_over_limit'] })]);
      expect(await usage(user)).toMatchObject({ used: prompt + 500, reserved: 0 });
    });

    it('a successful answer reporting zero tokens is charged its hold (the estimate)', async () => {
      const user = `${platform}-${kind}-zero`;
      upstream.reportUsage = () => ({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
      const res = await post(`${t.url}/v1/chat/completions`, chat({ max_tokens: 100 }), { 'x-user': user });
      expect(res.status).toBe(200);
      expect(res.body.choices[0].message.content).toBe('Hello');
      expect(anomalies).toEqual([
        expect.objectContaining({
          reasons: ['zero_usage'],
          charged: expect.objectContaining({ totalTokens: PROMPT + 100, estimated: true }),
        }),
      ]);
      expect(await usage(user)).toMatchObject({ used: PROMPT + 100, reserved: 0 });
    });
  },
);

describe.each(PLATFORMS)('plausibleUsage: false on %s', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    await upstream.start();
    t = await startBudgetApp(platform, { ...options({ plausibleUsage: false }), storage: makeStorage('memory').storage }, [
      AnomalyProxyController,
    ]);
  });
  afterAll(async () => {
    await t.close();
    await upstream.close();
  });

  it('charges what the provider reports, as it reports it', async () => {
    upstream.reportUsage = (call) => ({
      prompt_tokens: 90_000,
      completion_tokens: call.outputTokens,
      total_tokens: 90_000 + call.outputTokens,
    });
    expect((await post(`${t.url}/v1/chat/completions`, chat(), { 'x-user': 'trusting' })).status).toBe(200);
    expect((await t.app.get(BudgetService).getUsage('trusting'))[0]).toMatchObject({ used: 90_256 });
  });
});
