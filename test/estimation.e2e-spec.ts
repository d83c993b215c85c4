import { Body, Controller, Headers, HttpCode, Post, UseGuards } from '@nestjs/common';
import { BudgetService, TokenBudget, TokenBudgetGuard } from 'nestjs-token-budget';
import { eventually, PLATFORMS, post, startBudgetApp, TestApp } from './fixtures/create-app';

type Encoding = { encode(text: string): number[] };
const o200k = require('gpt-tokenizer/encoding/o200k_base') as Encoding;
/** Tokens of `texts` in o200k_base, counted here with the encoder itself. */
const o = (...texts: string[]) => texts.reduce((sum, text) => sum + o200k.encode(text).length, 0);

type ChatBody = { max_tokens?: number; max_completion_tokens?: number; max_output_tokens?: number };

/** What each handler saw, and a gate that holds /held requests in flight. */
const seen: ChatBody[] = [];
let openGate: () => void = () => undefined;
let gate: Promise<void> = Promise.resolve();

/** A result as an upstream bills it: the prompt the test counted, and every output token the body allows. */
function billed(body: ChatBody, promptTokens: string | undefined) {
  seen.push({ ...body });
  const prompt = Number(promptTokens ?? 0);
  const completion = body.max_tokens ?? body.max_completion_tokens ?? body.max_output_tokens ?? 0;
  return { object: 'chat.completion', usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } };
}

@Controller()
@UseGuards(TokenBudgetGuard)
class EstimationController {
  @Post('chat')
  @HttpCode(200)
  @TokenBudget({ feature: 'chat' })
  chat(@Body() body: ChatBody, @Headers('x-prompt-tokens') prompt?: string) {
    return billed(body, prompt);
  }

  @Post('short')
  @HttpCode(200)
  @TokenBudget({ feature: 'short', defaultMaxOutputTokens: 50 })
  short(@Body() body: ChatBody, @Headers('x-prompt-tokens') prompt?: string) {
    return billed(body, prompt);
  }

  @Post('held')
  @HttpCode(200)
  @TokenBudget({ feature: 'held' })
  async held(@Body() body: ChatBody) {
    await gate;
    return billed(body, '0');
  }

  @Post('custom')
  @HttpCode(200)
  @TokenBudget({ feature: 'custom', estimate: () => ({ inputTokens: 7, outputTokens: 8, model: 'gpt-4o-mini' }) })
  custom() {
    return {};
  }

  @Post('capped')
  @HttpCode(200)
  @TokenBudget({ feature: 'capped', capMaxTokens: true })
  capped(@Body() body: ChatBody, @Headers('x-prompt-tokens') prompt?: string) {
    return billed(body, prompt);
  }

  @Post('capped-min')
  @HttpCode(200)
  @TokenBudget({ feature: 'capped-min', capMaxTokens: { minOutputTokens: 300 } })
  cappedMin(@Body() body: ChatBody, @Headers('x-prompt-tokens') prompt?: string) {
    return billed(body, prompt);
  }

  /** A result without usage: the hold is committed as is. */
  @Post('capped-bare')
  @HttpCode(200)
  @TokenBudget({ feature: 'capped-bare', capMaxTokens: true })
  cappedBare(@Body() body: ChatBody) {
    seen.push({ ...body });
    return {};
  }

  /** Answers after 20 ms, like an upstream call, so holds of concurrent requests overlap. */
  @Post('slow-capped')
  @HttpCode(200)
  @TokenBudget({ feature: 'slow-capped', capMaxTokens: true })
  async slowCapped(@Body() body: ChatBody, @Headers('x-prompt-tokens') prompt?: string) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return billed(body, prompt);
  }

  /** Guarded, no @TokenBudget: the guard holds the body's estimate and commits it when the response ends. */
  @Post('plain')
  @HttpCode(200)
  plain() {
    return { ok: true };
  }
}

const LIMIT = 1_000;
const TEXT = 'Write a haiku about token budgets.';
/** Prompt of one user message as OpenAI counts it: 3 per message, 3 to prime the reply, role and content. */
const PROMPT = 3 + 3 + o('user', TEXT);
const chat = (extra: Record<string, unknown> = {}) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: TEXT }], ...extra });

describe.each(PLATFORMS)('estimation from request bodies on %s', (platform) => {
  let t: TestApp;
  let budgets: BudgetService;
  const as = (user: string) => ({ 'x-user': user, 'x-prompt-tokens': String(PROMPT) });
  const remaining = (res: { headers: Headers }) => Number(res.headers.get('x-tokenbudget-remaining'));
  const usage = async (user: string) => (await budgets.getUsage(user))[0];

  beforeAll(async () => {
    t = await startBudgetApp(platform, { budgets: [{ scope: 'user', period: 'day', tokens: LIMIT }], defaultMaxOutputTokens: 200 }, [
      EstimationController,
    ]);
    budgets = t.app.get(BudgetService);
  });
  afterAll(() => t.close());
  beforeEach(() => {
    seen.length = 0;
  });

  it('holds the prompt tokens plus max_tokens of a route without an estimate', async () => {
    const res = await post(`${t.url}/chat`, chat({ max_tokens: 100 }), as('a1'));
    expect(res.status).toBe(200);
    expect(remaining(res)).toBe(LIMIT - (PROMPT + 100));
    expect(await usage('a1')).toMatchObject({ used: PROMPT + 100, reserved: 0 });
  });

  it('holds the module defaultMaxOutputTokens while a request without max_tokens is in flight', async () => {
    gate = new Promise((resolve) => (openGate = resolve));
    const pending = post(`${t.url}/held`, chat(), as('a2'));
    await eventually(async () => (await usage('a2')).reserved > 0);
    expect(await usage('a2')).toMatchObject({ reserved: PROMPT + 200, used: 0 });
    openGate();
    expect((await pending).status).toBe(200);
  });

  it("holds the route's defaultMaxOutputTokens over the module's", async () => {
    const res = await post(`${t.url}/short`, chat(), as('a3'));
    expect(remaining(res)).toBe(LIMIT - (PROMPT + 50));
  });

  it('reads max_completion_tokens, Responses, Anthropic and Gemini bodies', async () => {
    const responses = { model: 'gpt-4.1', instructions: 'Be brief.', input: TEXT, max_output_tokens: 70 };
    const anthropic = { model: 'claude-haiku-4-5', system: 'Be brief.', messages: [{ role: 'user', content: TEXT }], max_tokens: 60 };
    const gemini = { contents: [{ role: 'user', parts: [{ text: TEXT }] }], generationConfig: { maxOutputTokens: 40 } };
    expect(remaining(await post(`${t.url}/plain`, chat({ max_completion_tokens: 80 }), as('a4')))).toBe(LIMIT - (PROMPT + 80));
    expect(remaining(await post(`${t.url}/plain`, responses, as('a5')))).toBe(
      LIMIT - (3 + 3 + o('system', 'Be brief.') + 3 + o('user', TEXT) + 70),
    );
    // other models: o200k_base count plus 20%
    expect(remaining(await post(`${t.url}/plain`, anthropic, as('a6')))).toBe(
      LIMIT - (3 + 3 + Math.ceil(o('Be brief.', 'user', TEXT) * 1.2) + 60),
    );
    expect(remaining(await post(`${t.url}/plain`, gemini, as('a7')))).toBe(LIMIT - (3 + 3 + Math.ceil(o('user', TEXT) * 1.2) + 40));
  });

  it('refuses up front, with 429, a request whose estimate exceeds what is left; a smaller one passes', async () => {
    const refused = await post(`${t.url}/chat`, chat({ max_tokens: LIMIT }), as('a8'));
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ reason: 'user_token_limit_exceeded', remaining: LIMIT, limit: LIMIT });
    expect(seen).toHaveLength(0);
    const admitted = await post(`${t.url}/chat`, chat({ max_tokens: LIMIT - PROMPT }), as('a8'));
    expect(admitted.status).toBe(200);
    expect(seen).toEqual([expect.objectContaining({ max_tokens: LIMIT - PROMPT })]);
    expect(await usage('a8')).toMatchObject({ used: LIMIT, reserved: 0 });
  });

  it('lets an estimate function return { inputTokens, outputTokens, model }', async () => {
    expect(remaining(await post(`${t.url}/custom`, chat({ max_tokens: 500 }), as('a9')))).toBe(LIMIT - 15);
  });

  it('holds nothing for a body that is no provider request, as before', async () => {
    expect(remaining(await post(`${t.url}/chat`, { question: 'hi' }, { 'x-user': 'a10' }))).toBe(LIMIT);
    const text = await fetch(`${t.url}/plain`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-user': 'a10' },
      body: 'just text',
    });
    expect(text.status).toBe(200);
    expect(remaining(text)).toBe(LIMIT);
  });

  describe('capMaxTokens', () => {
    it("caps to the subject's setLimit override and its granted credits", async () => {
      await budgets.setLimit('c9', { tokens: PROMPT + 40 });
      expect((await post(`${t.url}/capped`, chat({ max_tokens: 5_000 }), as('c9'))).status).toBe(200);
      await budgets.grant('c9', { tokens: PROMPT + 25 });
      expect((await post(`${t.url}/capped`, chat({ max_tokens: 5_000 }), as('c9'))).status).toBe(200);
      expect(seen.map((body) => body.max_tokens)).toEqual([40, 25]);
      expect(await usage('c9')).toMatchObject({ used: 2 * PROMPT + 65, limit: PROMPT + 40, granted: PROMPT + 25, remaining: 0 });
    });

    it('lowers max_tokens in the body the handler sees to what the budget has left', async () => {
      const res = await post(`${t.url}/capped`, chat({ max_tokens: 5_000 }), as('c1'));
      expect(res.status).toBe(200);
      expect(seen).toEqual([expect.objectContaining({ max_tokens: LIMIT - PROMPT })]);
      expect(remaining(res)).toBe(0);
      expect(await usage('c1')).toMatchObject({ used: LIMIT, reserved: 0 });
      const next = await post(`${t.url}/capped`, chat({ max_tokens: 5_000 }), as('c1'));
      expect(next.status).toBe(429);
      expect(seen).toHaveLength(1);
    });

    it('leaves a limit that fits untouched, sends the held default to a body that had none, and caps it', async () => {
      await post(`${t.url}/capped`, chat({ max_tokens: 300 }), as('c2'));
      await post(`${t.url}/capped`, chat(), as('c2')); // the default 200 fits: it is held, and sent as the body's output limit
      expect(seen[0].max_tokens).toBe(300);
      expect(seen[1]).toMatchObject({ max_completion_tokens: 200 });
      expect(seen[1]).not.toHaveProperty('max_tokens');
      // used: PROMPT + 300, then PROMPT + 200 (the limit sent, billed whole)
      await post(`${t.url}/capped`, chat({ max_tokens: LIMIT - 4 * PROMPT - 600 }), as('c2')); // leaves PROMPT + 100
      expect(await usage('c2')).toMatchObject({ used: LIMIT - PROMPT - 100 });
      const capped = await post(`${t.url}/capped`, chat(), as('c2'));
      expect(capped.status).toBe(200);
      expect(seen[3]).toMatchObject({ max_completion_tokens: 100 }); // an OpenAI model: the field its reasoning models accept
      expect(await usage('c2')).toMatchObject({ used: LIMIT, reserved: 0 });
    });

    it('commits the capped hold, not the original estimate, when the result carries no usage', async () => {
      expect((await post(`${t.url}/capped-bare`, chat({ max_tokens: 5_000 }), as('c4'))).status).toBe(200);
      expect(seen).toEqual([expect.objectContaining({ max_tokens: LIMIT - PROMPT })]);
      expect(await usage('c4')).toMatchObject({ used: LIMIT, reserved: 0 });
    });

    it('refuses when not even minOutputTokens fit, and admits through a route with a smaller minimum', async () => {
      const fill = LIMIT - 250 - PROMPT; // leaves 250 tokens
      expect((await post(`${t.url}/chat`, chat({ max_tokens: fill }), as('c3'))).status).toBe(200);
      const refused = await post(`${t.url}/capped-min`, chat({ max_tokens: 1_000 }), as('c3'));
      expect(refused.status).toBe(429);
      expect(refused.body.message).toContain(`needs ${PROMPT + 300}`);
      expect(await usage('c3')).toMatchObject({ used: LIMIT - 250, reserved: 0 });
      const admitted = await post(`${t.url}/capped`, chat({ max_tokens: 1_000 }), as('c3'));
      expect(admitted.status).toBe(200);
      expect(seen.at(-1)).toMatchObject({ max_tokens: 250 - PROMPT });
    });
  });
});

describe.each(['memory', 'redis', 'cluster'] as const)('capMaxTokens under concurrency on %s storage', (kind) => {
  it('never overshoots: full requests, then one capped to the rest, then 429', async () => {
    const { makeStorage, uniquePrefix } = await import('./fixtures/storages');
    const stores = kind === 'memory' ? [makeStorage('memory')] : [makeStorage(kind), makeStorage(kind)];
    const limit = 10_000;
    const keyPrefix = uniquePrefix();
    const apps = await Promise.all(
      stores.map((store, i) =>
        startBudgetApp(
          i % 2 ? 'fastify' : 'express',
          { keyPrefix, storage: store.storage, budgets: [{ scope: 'user', period: 'day', tokens: limit }] },
          [EstimationController],
        ),
      ),
    );
    try {
      seen.length = 0;
      const estimate = PROMPT + 500;
      const full = Math.floor(limit / estimate);
      const rest = limit - full * estimate;
      expect(rest).toBeGreaterThan(PROMPT); // the last admitted request is capped, not refused
      const results = await Promise.all(
        Array.from({ length: 80 }, (_, i) =>
          post(`${apps[i % apps.length].url}/slow-capped`, chat({ max_tokens: 500 }), {
            'x-user': 'crowd',
            'x-prompt-tokens': String(PROMPT),
          }),
        ),
      );
      const statuses: Record<number, number> = {};
      for (const { status } of results) statuses[status] = (statuses[status] ?? 0) + 1;
      expect(statuses).toEqual({ 200: full + 1, 429: 80 - full - 1 });
      expect(seen.map((body) => body.max_tokens).sort((a, b) => a! - b!)).toEqual([rest - PROMPT, ...Array(full).fill(500)]);
      const [counter] = await apps[0].app.get(BudgetService).getUsage('crowd');
      expect(counter).toMatchObject({ used: limit, reserved: 0 });
    } finally {
      await Promise.all(apps.map((a) => a.close()));
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
