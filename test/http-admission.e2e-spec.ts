import { BudgetService } from 'nestjs-token-budget';
import { eventually, get, PLATFORMS, post, startBudgetApp, TestApp, TestClock } from './fixtures/create-app';

const openAiResult = (prompt: number, completion: number) => ({
  object: 'chat.completion',
  model: 'gpt-4.1',
  usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
});

describe.each(PLATFORMS)('HTTP admission on %s', (platform) => {
  let t: TestApp;
  let budgets: BudgetService;
  const clock = new TestClock(Date.parse('2026-11-23T10:00:00Z'));
  const exceeded: unknown[] = [];

  beforeAll(async () => {
    t = await startBudgetApp(platform, {
      clock: clock.read,
      budgets: [{ scope: 'user', period: 'month', tokens: 1_000 }],
    });
    budgets = t.app.get(BudgetService);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    exceeded.length = 0;
    for (const user of ['u1', 'u2', 'u3', 'u:{x}*', 'u']) await budgets.reset({ user, feature: 'limited' });
  });

  const used = async (user: string) => (await budgets.getUsage(user))[0];

  it('commits the usage of an OpenAI result in place of the estimate', async () => {
    const res = await post(`${t.url}/echo`, { estimate: 300, result: openAiResult(120, 80) }, { 'x-user': 'u1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-tokenbudget-limit')).toBe('1000');
    expect(res.headers.get('x-tokenbudget-remaining')).toBe('700');
    expect(Number(res.headers.get('x-tokenbudget-reset'))).toBe((Date.parse('2026-12-01T00:00:00Z') - clock.now) / 1000);
    expect(await used('u1')).toMatchObject({ used: 200, reserved: 0, remaining: 800 });
  });

  it('commits results of async handlers', async () => {
    await post(`${t.url}/async-echo`, { estimate: 50, result: openAiResult(10, 5) }, { 'x-user': 'u1' });
    expect(await used('u1')).toMatchObject({ used: 15, reserved: 0 });
  });

  it.each([
    [
      'Anthropic',
      {
        type: 'message',
        model: 'claude-sonnet-4-5',
        usage: { input_tokens: 25, cache_creation_input_tokens: 100, cache_read_input_tokens: 50, output_tokens: 15 },
      },
      190,
    ],
    ['Gemini', { usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 227, thoughtsTokenCount: 22, totalTokenCount: 260 } }, 260],
    ['Ollama', { model: 'llama3.2', done: true, done_reason: 'stop', prompt_eval_count: 26, eval_count: 298 }, 324],
    ['OpenAI responses', { object: 'response', usage: { input_tokens: 36, output_tokens: 87, total_tokens: 123 } }, 123],
    ['OpenAI embeddings', { object: 'list', usage: { prompt_tokens: 8, total_tokens: 8 } }, 8],
    ['Groq', { object: 'chat.completion', x_groq: { usage: { prompt_tokens: 23, completion_tokens: 19, total_tokens: 42 } } }, 42],
  ])('reads %s usage', async (_name, result, total) => {
    const res = await post(`${t.url}/echo`, { estimate: 400, result }, { 'x-user': 'u2' });
    expect(res.status).toBe(200);
    expect(await used('u2')).toMatchObject({ used: total, reserved: 0 });
  });

  it.each([
    ['negative', { usage: { prompt_tokens: -5, completion_tokens: 1, total_tokens: -4 } }],
    ['NaN-like string', { usage: { prompt_tokens: 'NaN', completion_tokens: 1, total_tokens: 1 } }],
    ['numeric string', { usage: { prompt_tokens: '12', completion_tokens: 1, total_tokens: 13 } }],
    ['no usage at all', { text: 'hello' }],
  ])('commits the estimate when usage is %s', async (_name, result) => {
    const res = await post(`${t.url}/echo`, { estimate: 77, result }, { 'x-user': 'u3' });
    expect(res.status).toBe(200);
    expect(await used('u3')).toMatchObject({ used: 77, reserved: 0 });
  });

  it('answers 429 with the contract body and headers, and holds nothing', async () => {
    await post(`${t.url}/echo`, { estimate: 0, result: openAiResult(900, 0) }, { 'x-user': 'u1' });
    const res = await post(`${t.url}/echo`, { estimate: 101, result: openAiResult(1, 1) }, { 'x-user': 'u1' });
    expect(res.status).toBe(429);
    expect(res.body).toEqual({
      statusCode: 429,
      error: 'budget_exceeded',
      reason: 'user_token_limit_exceeded',
      scope: 'user',
      message: expect.stringContaining('Token budget exceeded'),
      used: 900,
      limit: 1000,
      remaining: 100,
      unit: 'tokens',
      resetAt: '2026-12-01T00:00:00.000Z',
    });
    const secondsToReset = String((Date.parse('2026-12-01T00:00:00Z') - clock.now) / 1000);
    expect(res.headers.get('retry-after')).toBe(secondsToReset);
    expect(res.headers.get('x-tokenbudget-limit')).toBe('1000');
    expect(res.headers.get('x-tokenbudget-remaining')).toBe('100');
    expect(res.headers.get('x-tokenbudget-reset')).toBe(secondsToReset);
    expect(await used('u1')).toMatchObject({ used: 900, reserved: 0 });
    // exactly what is left still fits
    expect((await post(`${t.url}/echo`, { estimate: 100, result: openAiResult(50, 50) }, { 'x-user': 'u1' })).status).toBe(200);
    // with nothing left, even a zero estimate is refused
    expect((await post(`${t.url}/echo`, { estimate: 0 }, { 'x-user': 'u1' })).status).toBe(429);
  });

  it('applies a route budget on top of the module budget, per feature', async () => {
    const res = await post(`${t.url}/limited`, { estimate: 60, result: openAiResult(30, 30) }, { 'x-user': 'u1' });
    expect(res.status).toBe(200);
    const refused = await post(`${t.url}/limited`, { estimate: 41 }, { 'x-user': 'u1' });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ scope: 'user', feature: 'limited', limit: 100, used: 60 });
    // the module budget counted it too, and other routes are not limited by the route budget
    expect(await budgets.getUsage({ user: 'u1', feature: 'limited' })).toEqual([
      expect.objectContaining({ scope: 'user', name: 'user:month', used: 60 }),
      expect.objectContaining({ scope: 'user', feature: 'limited', period: '2026-11-23', limit: 100, used: 60 }),
    ]);
    expect((await post(`${t.url}/echo`, { estimate: 41 }, { 'x-user': 'u1' })).status).toBe(200);
  });

  it('releases the reservation when the handler throws', async () => {
    const res = await post(`${t.url}/fail`, { estimate: 500 }, { 'x-user': 'u1' });
    expect(res.status).toBe(500);
    expect(await used('u1')).toMatchObject({ used: 0, reserved: 0 });
  });

  it('answers 401 when the user cannot be resolved, and skips @SkipTokenBudget routes', async () => {
    const res = await post(`${t.url}/echo`, { estimate: 1 });
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/could not be identified/);
    expect((await get(`${t.url}/health`)).status).toBe(200);
  });

  it('keeps ids with key syntax apart and refuses 10 KB ids without changing anything', async () => {
    await post(`${t.url}/echo`, { estimate: 0, result: openAiResult(10, 0) }, { 'x-user': 'u:{x}*' });
    expect(await used('u:{x}*')).toMatchObject({ used: 10 });
    expect(await used('u')).toMatchObject({ used: 0 });
    const huge = 'x'.repeat(10 * 1024);
    const res = await post(`${t.url}/echo`, { estimate: 5, result: openAiResult(5, 0) }, { 'x-user': huge });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/Invalid user id: it is 10240 characters long/);
    await expect(budgets.getUsage(huge)).rejects.toThrow(/maxIdLength/);
  });
});

describe.each(PLATFORMS)('onBudgetExceeded on %s', (platform) => {
  it('replaces the 429 body and receives the refusal details', async () => {
    const seen: unknown[] = [];
    const t = await startBudgetApp(platform, {
      budgets: [{ scope: 'user', period: 'day', tokens: 10 }],
      onBudgetExceeded: (_req, _res, info) => {
        seen.push(info);
        return { error: 'custom', tryAgainIn: info.retryAfterSeconds };
      },
    });
    try {
      const res = await post(`${t.url}/echo`, { estimate: 11 }, { 'x-user': 'c1' });
      expect(res.status).toBe(429);
      expect(res.body).toEqual({ error: 'custom', tryAgainIn: expect.any(Number) });
      expect(seen).toEqual([expect.objectContaining({ reason: 'user_token_limit_exceeded', requested: 11, limit: 10, remaining: 10 })]);
    } finally {
      await t.close();
    }
  });
});

describe.each(PLATFORMS)('settling without the interceptor on %s', (platform) => {
  let t: TestApp;
  let budgets: BudgetService;
  beforeAll(async () => {
    t = await startBudgetApp(platform, { budgets: [{ scope: 'user', period: 'day', tokens: 1_000 }], defaultEstimate: 40 });
    budgets = t.app.get(BudgetService);
  });
  afterAll(() => t.close());
  const usage = async (user: string) => (await budgets.getUsage(user))[0];
  const settled = (user: string) => async () => (await usage(user)).reserved === 0;

  it('commits the estimate of a guarded route without @TokenBudget when it succeeds', async () => {
    expect((await post(`${t.url}/plain`, {}, { 'x-user': 's1' })).status).toBe(200);
    await eventually(settled('s1'));
    expect(await usage('s1')).toMatchObject({ used: 40, reserved: 0 });
  });

  it('commits the estimate when the client goes away while the handler runs', async () => {
    const aborted = post(`${t.url}/plain-slow`, {}, { 'x-user': 's4' }, AbortSignal.timeout(50));
    await expect(aborted).rejects.toThrow();
    await eventually(settled('s4'), 3_000);
    expect(await usage('s4')).toMatchObject({ used: 40, reserved: 0 });
  });

  it('releases it when the route fails', async () => {
    expect((await post(`${t.url}/plain-bad`, {}, { 'x-user': 's2' })).status).toBe(400);
    await eventually(settled('s2'));
    expect(await usage('s2')).toMatchObject({ used: 0, reserved: 0 });
  });

  it('holds nothing for a request a later guard refuses (a decorated route is admitted after every guard)', async () => {
    expect((await post(`${t.url}/denied`, { estimate: 300 }, { 'x-user': 's3' })).status).toBe(403);
    expect(await usage('s3')).toMatchObject({ used: 0, reserved: 0 });
  });
});

describe.each(PLATFORMS)("anonymous: 'allow' on %s", (platform) => {
  it('admits a request without a user on the budgets that need none', async () => {
    const t = await startBudgetApp(platform, {
      anonymous: 'allow',
      budgets: [
        { scope: 'user', period: 'day', tokens: 10 },
        { scope: 'global', period: 'day', tokens: 50 },
      ],
    });
    try {
      const result = { usage: { prompt_tokens: 20, completion_tokens: 20, total_tokens: 40 } };
      expect((await post(`${t.url}/echo`, { estimate: 40, result })).status).toBe(200);
      expect((await post(`${t.url}/echo`, { estimate: 11 })).status).toBe(429);
      const [user, global] = await t.app.get(BudgetService).getUsage('someone');
      expect(user).toMatchObject({ scope: 'user', used: 0 });
      expect(global).toMatchObject({ scope: 'global', used: 40 });
    } finally {
      await t.close();
    }
  });
});

describe.each(PLATFORMS)('onBudgetExceeded answering itself on %s', (platform) => {
  it('lets the hook send its own response', async () => {
    const t = await startBudgetApp(platform, {
      budgets: [{ scope: 'user', period: 'day', tokens: 5 }],
      onBudgetExceeded: (_req, res, info) => {
        const body = JSON.stringify({ upgrade: 'https://example.test/pricing', left: info.remaining });
        if (platform === 'fastify') res.code(402).header('content-type', 'application/json').send(body);
        else res.status(402).type('application/json').send(body);
      },
    });
    try {
      const res = await post(`${t.url}/echo`, { estimate: 6 }, { 'x-user': 'p1' });
      expect(res.status).toBe(402);
      expect(res.body).toEqual({ upgrade: 'https://example.test/pricing', left: 5 });
      expect(res.headers.get('retry-after')).not.toBeNull();
    } finally {
      await t.close();
    }
  });
});

describe.each(PLATFORMS)('app-side failures on %s', (platform) => {
  it('answers 500 when an id resolver throws, and never admits around the budgets (even with failMode open)', async () => {
    const t = await startBudgetApp(platform, {
      failMode: 'open',
      anonymous: 'allow',
      budgets: [
        { scope: 'tenant', id: (req) => req.user.orgId, tokens: 100 },
        { scope: 'global', period: 'day', tokens: 50 },
      ],
    });
    try {
      expect((await post(`${t.url}/echo`, { estimate: 40 })).status).toBe(500);
      const [global] = await t.app.get(BudgetService).getUsage('x');
      expect(global).toMatchObject({ scope: 'global', used: 0, reserved: 0 });
    } finally {
      await t.close();
    }
  });

  it('reads usage with the module-level usage function', async () => {
    const t = await startBudgetApp(platform, {
      budgets: [{ scope: 'user', tokens: 100 }],
      usage: (result) => {
        const r = result as { tin: number; tout: number };
        return { inputTokens: r.tin, outputTokens: r.tout, totalTokens: r.tin + r.tout };
      },
    });
    try {
      expect((await post(`${t.url}/echo`, { estimate: 50, result: { tin: 3, tout: 4 } }, { 'x-user': 'm1' })).status).toBe(200);
      expect((await t.app.get(BudgetService).getUsage('m1'))[0]).toMatchObject({ used: 7 });
    } finally {
      await t.close();
    }
  });
});
