import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { PLATFORMS, TestApp } from './fixtures/create-app';
import { startGateway, testKeys } from './fixtures/gateway-app';
import { RecordingUpstream } from './fixtures/recording-upstream';

/** $1 per million tokens for both test models: a call of 10 prompt + N output tokens costs (10 + N) / 1e6 USD. */
const PRICING = { 'gpt-4o-mini': { input: 1, output: 1 }, 'claude-haiku-4-5': { input: 1, output: 1 } };
const costBudget = (costUsd: number): TokenBudgetModuleOptions => ({
  budgets: [{ scope: 'user', period: 'month', tokens: 10_000_000, costUsd }],
  pricing: PRICING,
});

type Answer = {
  status: number;
  body: Record<string, unknown> & { error?: { code?: string; param?: string; message: string; type: string } };
};

async function call(url: string, path: string, body: unknown, headers: Record<string, string> = {}, key = 'sk-pat'): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

async function budgetOf(
  url: string,
  key = 'sk-pat',
): Promise<{ used: number; reserved: number; costUsd: number; costReservedUsd: number }> {
  const rules = (await (await fetch(`${url}/v1/budget`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
    scope: string;
    used: number;
    reserved: number;
    costUsd: number;
    costReservedUsd: number;
  }[];
  return rules.find((rule) => rule.scope === 'user')!;
}

const chat = (extra: Record<string, unknown> = {}) => ({
  model: 'gpt-4o-mini',
  max_tokens: 20,
  messages: [{ role: 'user', content: 'Hi' }],
  ...extra,
});
const responses = (extra: Record<string, unknown> = {}) => ({ model: 'gpt-4o-mini', max_output_tokens: 20, input: 'Hi', ...extra });
const messages = (extra: Record<string, unknown> = {}) => ({
  model: 'claude-haiku-4-5',
  max_tokens: 20,
  messages: [{ role: 'user', content: 'Hi' }],
  ...extra,
});

/** Bodies the default policy refuses: route, body, headers, the param named and a word the message must contain. */
const REFUSED: [string, string, unknown, Record<string, string>, string, RegExp][] = [
  ['background mode', '/v1/responses', responses({ background: true }), {}, 'background', /background mode.*POLICY_ALLOW_BACKGROUND=1/],
  [
    'a Responses web_search tool',
    '/v1/responses',
    responses({ tools: [{ type: 'function', name: 'f', parameters: {} }, { type: 'web_search' }] }),
    {},
    'tools[1].type',
    /server-side tool 'web_search'.*tools\.web_search/,
  ],
  [
    'a dated web_search_preview tool',
    '/v1/responses',
    responses({ tools: [{ type: 'web_search_preview_2025_03_11' }] }),
    {},
    'tools[0].type',
    /'web_search_preview'/,
  ],
  [
    'an MCP tool',
    '/v1/responses',
    responses({ tools: [{ type: 'mcp', server_label: 'x', server_url: 'https://mcp.example' }] }),
    {},
    'tools[0].type',
    /'mcp'/,
  ],
  [
    'previous_response_id',
    '/v1/responses',
    responses({ previous_response_id: 'resp_123' }),
    {},
    'previous_response_id',
    /stored response.*POLICY_ALLOW_STORED_OBJECTS=1/,
  ],
  ['a stored prompt', '/v1/responses', responses({ prompt: { id: 'pmpt_1' } }), {}, 'prompt.id', /stored prompt/],
  [
    'a file_id in Responses input',
    '/v1/responses',
    responses({ input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] }),
    {},
    'input[0].content[0].file_id',
    /stored file/,
  ],
  ['chat web_search_options', '/v1/chat/completions', chat({ web_search_options: {} }), {}, 'web_search_options', /'web_search'/],
  [
    'a file_id in chat content',
    '/v1/chat/completions',
    chat({ messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-2' } }] }] }),
    {},
    'messages[0].content[0].file.file_id',
    /stored file/,
  ],
  [
    'an Anthropic web search tool',
    '/v1/messages',
    messages({ tools: [{ type: 'web_search_20250305', name: 'web_search' }] }),
    {},
    'tools[0].type',
    /'web_search'/,
  ],
  [
    'Anthropic mcp_servers',
    '/v1/messages',
    messages({ mcp_servers: [{ type: 'url', url: 'https://mcp.example', name: 'x' }] }),
    {},
    'mcp_servers',
    /'mcp'/,
  ],
  ['an Anthropic container', '/v1/messages', messages({ container: 'container_1' }), {}, 'container', /stored container/],
  [
    'an Anthropic file source',
    '/v1/messages',
    messages({ messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'file', file_id: 'file_3' } }] }] }),
    {},
    'messages[0].content[0].source.file_id',
    /stored file/,
  ],
  [
    'an unknown beta flag',
    '/v1/messages',
    messages(),
    { 'anthropic-beta': 'prompt-caching-2024-07-31, context-1m-2025-08-07' },
    'anthropic-beta',
    /beta flag 'context-1m-2025-08-07'.*POLICY_ANTHROPIC_BETAS/,
  ],
];

describe.each(PLATFORMS)('gateway on %s: the default request policy', (platform) => {
  let upstream: RecordingUpstream;
  let t: TestApp;
  beforeAll(async () => {
    upstream = await new RecordingUpstream().start();
    t = await startGateway(
      platform,
      { UPSTREAM_OPENAI_URL: `${upstream.url}/v1`, UPSTREAM_ANTHROPIC_URL: upstream.url, UPSTREAM_PAID: 'true' },
      { keys: testKeys('pat'), budget: costBudget(10), log: { level: 'silent' } },
    );
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  it.each(REFUSED)(
    'refuses %s with 400 policy_refused, never forwarded nor counted',
    async (_what, path, body, headers, param, message) => {
      const before = upstream.requests.length;
      const answer = await call(t.url, path, body, headers);
      expect(answer.status).toBe(400);
      if (path === '/v1/messages') {
        expect(answer.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      } else {
        expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', code: 'policy_refused', param });
      }
      expect(answer.body.error!.message).toMatch(message);
      if (path === '/v1/messages')
        expect(answer.body.error!.message).toContain(
          param
            .split('.')
            .pop()!
            .replace(/\[\d+\]$/, ''),
        );
      expect(upstream.requests.length).toBe(before);
      expect(await budgetOf(t.url)).toMatchObject({ used: 0, reserved: 0, costUsd: 0, costReservedUsd: 0 });
    },
  );

  it('forwards allowed bodies and headers unchanged: function tools, plain content, a price-neutral beta', async () => {
    const sent = [
      [
        '/v1/chat/completions',
        chat({
          tools: [
            { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { file_id: { type: 'string' } } } } },
          ],
          temperature: 0.2,
        }),
      ],
      ['/v1/responses', responses({ tools: [{ type: 'function', name: 'f', parameters: {} }], store: false })],
      ['/v1/embeddings', { model: 'gpt-4o-mini', input: 'hello' }],
      [
        '/v1/messages',
        messages({
          tools: [
            { name: 'get_weather', input_schema: { type: 'object' } },
            { type: 'bash_20250124', name: 'bash' },
          ],
          system: 'Be brief.',
        }),
      ],
    ] as const;
    for (const [path, body] of sent) {
      const before = upstream.requests.length;
      const answer = await call(
        t.url,
        path,
        body,
        path === '/v1/messages' ? { 'anthropic-beta': 'prompt-caching-2024-07-31', 'anthropic-version': '2023-06-01' } : {},
      );
      expect(answer.status).toBe(200);
      expect(upstream.requests.length).toBe(before + 1);
      const received = upstream.requests[before];
      expect(received.path).toBe(path);
      expect(JSON.parse(received.raw)).toEqual(body);
      if (path === '/v1/messages') expect(received.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31');
    }
  });

  it.each([
    ['x:latest', 'a local-looking name:tag'],
    ['no-such-model-zz9', 'unknown to its price catalog'],
  ])('refuses the unpriced model %s on a paid upstream under a cost budget (400 unpriced_model), never forwarded', async (model, why) => {
    const before = upstream.requests.length;
    for (const path of ['/v1/chat/completions', '/v1/messages']) {
      const answer = await call(t.url, path, path === '/v1/messages' ? messages({ model }) : chat({ model }));
      expect(answer.status).toBe(400);
      expect(answer.body.error!.message).toContain(`'${model}' (${why})`);
      expect(answer.body.error!.message).toContain('UNPRICED_MODEL_PRICE');
      if (path !== '/v1/messages') expect(answer.body.error).toMatchObject({ code: 'unpriced_model', param: 'model' });
    }
    expect(upstream.requests.length).toBe(before);
  });
});

describe.each(PLATFORMS)('gateway on %s: priced server tools and a default price for unpriced models (environment)', (platform) => {
  let upstream: RecordingUpstream;
  let t: TestApp;
  beforeAll(async () => {
    upstream = await new RecordingUpstream().start();
    t = await startGateway(
      platform,
      {
        UPSTREAM_OPENAI_URL: `${upstream.url}/v1`,
        UPSTREAM_ANTHROPIC_URL: upstream.url,
        UPSTREAM_PAID: 'true',
        POLICY_SERVER_TOOLS: 'web_search=0.5,web_fetch=0',
        UNPRICED_MODEL_PRICE: '5,15',
      },
      { keys: { ...testKeys('pat'), ...testKeys('poor') }, budget: costBudget(2), log: { level: 'silent' } },
    );
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  it('holds a priced tool at admission: a budget with less than its fee left refuses the call (402, budget exhausted), never forwarded', async () => {
    const spent = await call(t.url, '/v1/responses', responses({ tools: [{ type: 'web_search' }] }), {}, 'sk-poor');
    expect(spent.status).toBe(200);
    const before = upstream.requests.length;
    // $2 - $0.50003 = $1.49997 left: three searches ($1.50) do not fit, whatever the tokens cost
    const refused = await call(
      t.url,
      '/v1/messages',
      messages({ tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }] }),
      {},
      'sk-poor',
    );
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ type: 'error', error: { type: 'billing_error' } });
    expect(upstream.requests.length).toBe(before);
    expect((await budgetOf(t.url, 'sk-poor')).costUsd).toBeCloseTo(0.50003, 9);
  });

  it('charges the fee per call with the tokens, and forwards the body unchanged', async () => {
    const start = (await budgetOf(t.url)).costUsd;
    const body = responses({ tools: [{ type: 'web_search' }, { type: 'function', name: 'f', parameters: {} }] });
    expect((await call(t.url, '/v1/responses', body)).status).toBe(200);
    expect(JSON.parse(upstream.requests.at(-1)!.raw)).toEqual(body);
    const after = await budgetOf(t.url);
    expect(after.costUsd - start).toBeCloseTo(0.5 + 30 / 1e6, 9);
    expect(after.costReservedUsd).toBe(0);
    // Anthropic max_uses: 2 searches held and charged; web_fetch priced 0 passes without a fee
    const tools = [
      { type: 'web_search_20250305', name: 'web_search', max_uses: 2 },
      { type: 'web_fetch_20250910', name: 'web_fetch' },
    ];
    expect((await call(t.url, '/v1/messages', messages({ tools }))).status).toBe(200);
    expect((await budgetOf(t.url)).costUsd - after.costUsd).toBeCloseTo(1 + 30 / 1e6, 9);
  });

  it('an unpriced model is forwarded and charged at the default price', async () => {
    const start = (await budgetOf(t.url)).costUsd;
    const body = chat({ model: 'x:latest', max_tokens: 100 });
    expect((await call(t.url, '/v1/chat/completions', body)).status).toBe(200);
    expect(JSON.parse(upstream.requests.at(-1)!.raw)).toEqual(body);
    // 10 prompt tokens at $5 and 100 output tokens at $15 per million
    expect((await budgetOf(t.url)).costUsd - start).toBeCloseTo((10 * 5 + 100 * 15) / 1e6, 9);
  });
});

describe.each(PLATFORMS)('gateway on %s: which upstreams are paid', (platform) => {
  let upstream: RecordingUpstream;
  beforeAll(async () => {
    upstream = await new RecordingUpstream().start();
  });
  afterAll(() => upstream?.close());

  it('a loopback upstream counts as free by default (UPSTREAM_PAID=auto): a local model passes under a cost budget', async () => {
    const t = await startGateway(
      platform,
      { UPSTREAM_OPENAI_URL: `${upstream.url}/v1` },
      { keys: testKeys('pat'), budget: costBudget(10), log: { level: 'silent' } },
    );
    try {
      const answer = await call(t.url, '/v1/chat/completions', chat({ model: 'llama3.2:latest' }));
      expect(answer.status).toBe(200);
      expect(upstream.requests.at(-1)!.body.model).toBe('llama3.2:latest');
    } finally {
      await t.close();
    }
  });

  it('without a cost budget an unpriced model is not refused, even on a paid upstream', async () => {
    const t = await startGateway(
      platform,
      { UPSTREAM_OPENAI_URL: `${upstream.url}/v1`, UPSTREAM_PAID: 'true' },
      { keys: testKeys('pat'), budget: { budgets: [{ scope: 'user', tokens: 100_000 }] }, log: { level: 'silent' } },
    );
    try {
      expect((await call(t.url, '/v1/chat/completions', chat({ model: 'x:latest' }))).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('a bad policy variable stops the boot naming it', async () => {
    await expect(
      startGateway(
        platform,
        { UPSTREAM_PAID: 'maybe', POLICY_SERVER_TOOLS: 'web_search' },
        { keys: testKeys('pat'), log: { level: 'silent' } },
      ),
    ).rejects.toThrow(/UPSTREAM_PAID: must be auto, true or false/);
  });
});

function configFile(lines: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gw-policy-')), 'gateway.yaml');
  writeFileSync(file, lines.join('\n'));
  return file;
}

describe.each(PLATFORMS)('gateway on %s: the requestPolicy section of TOKEN_BUDGET_CONFIG', (platform) => {
  let upstream: RecordingUpstream;
  beforeAll(async () => {
    upstream = await new RecordingUpstream().start();
  });
  afterAll(() => upstream?.close());

  it('is applied: per-route rules over the top level, betas dropped when unknownBetas is drop', async () => {
    const file = configFile([
      'budgets:',
      '  - { scope: user, period: month, tokens: 1000000, costUsd: 5 }',
      'pricing:',
      '  gpt-4o-mini: { input: 1, output: 1 }',
      '  claude-haiku-4-5: { input: 1, output: 1 }',
      'requestPolicy:',
      '  paidUpstream: true',
      '  unknownBetas: drop',
      '  tools: { web_search: 0.25 }',
      '  routes:',
      '    responses:',
      '      background: true',
      '      storedObjects: true',
      '    chat:',
      '      tools: {}',
      '      refuseFields: [store]',
      '    messages:',
      '      betas: [files-api-2025-04-14]',
      '',
    ]);
    const t = await startGateway(
      platform,
      { TOKEN_BUDGET_CONFIG: file, UPSTREAM_OPENAI_URL: `${upstream.url}/v1`, UPSTREAM_ANTHROPIC_URL: upstream.url },
      { keys: testKeys('pat'), log: { level: 'silent' } },
    );
    try {
      const allowed = responses({ background: true, previous_response_id: 'resp_1', tools: [{ type: 'web_search' }] });
      expect((await call(t.url, '/v1/responses', allowed)).status).toBe(200);
      expect(JSON.parse(upstream.requests.at(-1)!.raw)).toEqual(allowed);
      expect((await budgetOf(t.url)).costUsd).toBeCloseTo(0.25 + 30 / 1e6, 9);
      // the chat route's own (empty) tools replace the top level's
      expect((await call(t.url, '/v1/chat/completions', chat({ web_search_options: {} }))).body.error).toMatchObject({
        code: 'policy_refused',
        param: 'web_search_options',
      });
      expect((await call(t.url, '/v1/chat/completions', chat({ store: true }))).body.error).toMatchObject({
        code: 'policy_refused',
        param: 'store',
      });
      const betas = await call(t.url, '/v1/messages', messages(), {
        'anthropic-beta': 'files-api-2025-04-14,context-1m-2025-08-07,prompt-caching-2024-07-31',
      });
      expect(betas.status).toBe(200);
      expect(upstream.requests.at(-1)!.headers['anthropic-beta']).toBe('files-api-2025-04-14,prompt-caching-2024-07-31');
    } finally {
      await t.close();
    }
  });

  it('is validated: each bad entry is named at its line and column', async () => {
    const file = configFile([
      'budgets:',
      '  - { scope: user, tokens: 1000 }',
      'requestPolicy:',
      '  background: yes please',
      '  tools:',
      '    web_search: -1',
      '  routes:',
      '    completions: {}',
      '    messages:',
      '      betas: [ok-beta, 42]',
      '  unpricedModels: { input: 5 }',
      '',
    ]);
    const boot = startGateway(platform, { TOKEN_BUDGET_CONFIG: file }, { keys: testKeys('pat'), log: { level: 'silent' } });
    await expect(boot).rejects.toMatchObject({
      problems: [
        `${file}:4:15: requestPolicy.background: must be true or false`,
        `${file}:6:17: requestPolicy.tools.web_search: must be a finite, non-negative price in USD per call (0: no extra charge)`,
        `${file}:8:5: requestPolicy.routes.completions: is not a route; use one of chat, responses, embeddings, messages`,
        `${file}:10:24: requestPolicy.routes.messages.betas[1]: must be a name of letters, digits, _ . : - (at most 128)`,
        `${file}:11:3: requestPolicy.unpricedModels.output: is required (USD per million tokens)`,
      ],
      message: expect.stringContaining(`npx token-budget validate-config ${file} --skip requestPolicy`),
    });
  });
});

describe.each(PLATFORMS)('gateway on %s: a priced tool under capMaxTokens (fair holds)', (platform) => {
  let upstream: RecordingUpstream;
  let t: TestApp;
  beforeAll(async () => {
    upstream = await new RecordingUpstream().start();
    t = await startGateway(
      platform,
      { UPSTREAM_OPENAI_URL: `${upstream.url}/v1`, UPSTREAM_PAID: 'true' },
      {
        keys: testKeys('pat'),
        budget: { budgets: [{ scope: 'user', period: 'month', tokens: 200, costUsd: 10 }], pricing: PRICING, capMaxTokens: true },
        requestPolicy: { tools: { web_search: 0.5 } },
        log: { level: 'silent' },
      },
    );
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  it('a call capped to the tokens left still holds and is charged its fee', async () => {
    const answer = await call(t.url, '/v1/responses', responses({ max_output_tokens: 5_000, tools: [{ type: 'web_search' }] }));
    expect(answer.status).toBe(200);
    const sent = upstream.requests.at(-1)!.body.max_output_tokens as number;
    expect(sent).toBeLessThan(200);
    const after = await budgetOf(t.url);
    expect(after.costUsd).toBeCloseTo(0.5 + (10 + sent) / 1e6, 9);
    expect(after.costReservedUsd).toBe(0);
  });
});
