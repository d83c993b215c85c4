import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { BudgetService, TokenBudget, TokenBudgetGuard } from 'nestjs-token-budget';
import { PLATFORMS, post, startBudgetApp, TestApp } from './fixtures/create-app';

type Body = Record<string, unknown>;

/**
 * An upstream that honours the larger output limit a body sets (OpenAI-compatible servers such as
 * Ollama read `max_tokens` and ignore `max_completion_tokens`) and bills every output token it allows.
 */
function billed(body: Body) {
  const config = (body.generationConfig ?? {}) as Body;
  // numeric strings read as numbers, as servers with lax JSON validation (pydantic, for one) read them
  const limits = [body.max_tokens, body.max_completion_tokens, config.maxOutputTokens, config.max_output_tokens]
    .map(Number)
    .filter((v) => Number.isFinite(v));
  const choices = typeof body.n === 'number' ? body.n : typeof config.candidateCount === 'number' ? config.candidateCount : 1;
  const completion = Math.max(0, ...limits) * choices;
  return { object: 'chat.completion', usage: { prompt_tokens: 1, completion_tokens: completion, total_tokens: 1 + completion } };
}

@Controller()
@UseGuards(TokenBudgetGuard)
class OutputLimitsController {
  @Post('chat')
  @HttpCode(200)
  @TokenBudget({ feature: 'chat' })
  chat(@Body() body: Body) {
    return billed(body);
  }

  @Post('capped')
  @HttpCode(200)
  @TokenBudget({ feature: 'capped', capMaxTokens: true })
  capped(@Body() body: Body) {
    return billed(body);
  }
}

const LIMIT = 1_000;
const chat = (extra: Body) => ({ model: 'llama3.1', messages: [{ role: 'user', content: 'Hi' }], ...extra });
const gemini = (config: Body) => ({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }], generationConfig: config });

describe.each(PLATFORMS)('a body that sets two output limits on %s', (platform) => {
  let t: TestApp;
  let budgets: BudgetService;
  beforeAll(async () => {
    t = await startBudgetApp(platform, { budgets: [{ scope: 'user', period: 'day', tokens: LIMIT }], defaultMaxOutputTokens: 100 }, [
      OutputLimitsController,
    ]);
    budgets = t.app.get(BudgetService);
  });
  afterAll(() => t.close());

  it('holds the larger of max_tokens and max_completion_tokens, so a small one cannot hide a large one', async () => {
    const res = await post(`${t.url}/chat`, chat({ max_completion_tokens: 1, max_tokens: 5_000 }), { 'x-user': 'm1' });
    expect(res.status).toBe(429);
    expect((await budgets.getUsage('m1'))[0]).toMatchObject({ used: 0, reserved: 0 });
  });

  it('admits when the larger limit fits, and holds it', async () => {
    const res = await post(`${t.url}/chat`, chat({ max_completion_tokens: 900, max_tokens: 5 }), { 'x-user': 'm2' });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('x-tokenbudget-remaining'))).toBeLessThanOrEqual(LIMIT - 900);
  });

  it('holds the larger of a Gemini maxOutputTokens and max_output_tokens', async () => {
    const res = await post(`${t.url}/chat`, gemini({ maxOutputTokens: 1, max_output_tokens: 5_000 }), { 'x-user': 'm3' });
    expect(res.status).toBe(429);
    expect((await budgets.getUsage('m3'))[0]).toMatchObject({ used: 0, reserved: 0 });
  });

  it('capMaxTokens lowers both Gemini output limits, so the upstream cannot bill past the budget', async () => {
    const res = await post(`${t.url}/capped`, gemini({ maxOutputTokens: 5_000, max_output_tokens: 5_000 }), { 'x-user': 'm4' });
    expect(res.status).toBe(200);
    const [usage] = await budgets.getUsage({ user: 'm4', feature: 'capped' });
    expect(usage.used).toBeGreaterThan(0);
    expect(usage.used).toBeLessThanOrEqual(LIMIT);
  });

  it('holds the output limit once per completion asked for (n, candidateCount)', async () => {
    // 10 completions of up to 200 tokens each: 2,000 output tokens, past the 1,000 limit
    expect((await post(`${t.url}/chat`, chat({ n: 10, max_tokens: 200 }), { 'x-user': 'm5' })).status).toBe(429);
    expect((await post(`${t.url}/chat`, gemini({ candidateCount: 8, maxOutputTokens: 200 }), { 'x-user': 'm5' })).status).toBe(429);
    const res = await post(`${t.url}/chat`, chat({ n: 4, max_tokens: 200 }), { 'x-user': 'm6' });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('x-tokenbudget-remaining'))).toBeLessThanOrEqual(LIMIT - 800);
  });

  it('capMaxTokens shares what is left among the completions, so together they stay within the budget', async () => {
    const res = await post(`${t.url}/capped`, chat({ n: 4, max_tokens: 1_000 }), { 'x-user': 'm7' });
    expect(res.status).toBe(200);
    const [usage] = await budgets.getUsage({ user: 'm7', feature: 'capped' });
    expect(usage.used).toBeGreaterThan(LIMIT / 2);
    expect(usage.used).toBeLessThanOrEqual(LIMIT);
  });

  it('reads an output limit sent as a numeric string, which lax servers accept', async () => {
    expect((await post(`${t.url}/chat`, chat({ max_tokens: '5000' }), { 'x-user': 'm8' })).status).toBe(429);
    expect((await post(`${t.url}/chat`, chat({ max_completion_tokens: ' 5000 ' }), { 'x-user': 'm8' })).status).toBe(429);
    expect((await budgets.getUsage('m8'))[0]).toMatchObject({ used: 0, reserved: 0 });
    const res = await post(`${t.url}/capped`, chat({ max_tokens: '5000' }), { 'x-user': 'm9' });
    expect(res.status).toBe(200);
    const [usage] = await budgets.getUsage({ user: 'm9', feature: 'capped' });
    expect(usage.used).toBeLessThanOrEqual(LIMIT);
  });
});
