import { ADMIN_KEY, AdminKey } from '../src/admin/admin-key';
import { AppModule } from '../src/app.module';
import { get, PLATFORMS, post, startApp } from './fixtures/create-app';
import { chat, CHAT_PROMPT, KeysGateway, startKeysGateway } from './fixtures/keys-gateway';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
async function send(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
let users = 0;
const newUser = () => `admin-user-${process.pid}-${++users}`;
type Usage = { scope: string; id: string; used: number; limit: number; granted: number; costUsd: number };

/** Every admin route, with a body that would be valid. */
const ROUTES: Array<[string, string, unknown]> = [
  ['GET', '/admin/api/keys', undefined],
  ['POST', '/admin/api/keys', { user: 'mallory' }],
  ['DELETE', '/admin/api/keys/key_x', undefined],
  ['GET', '/admin/api/usage?scope=user', undefined],
  ['GET', '/admin/api/users/alice', undefined],
  ['POST', '/admin/api/users/alice/grants', { tokens: 1_000_000 }],
  ['PUT', '/admin/api/users/alice/limit', { tokens: 0 }],
  ['DELETE', '/admin/api/users/alice/limit', undefined],
];

describe.each(PLATFORMS)('admin API on %s', (platform) => {
  let g: KeysGateway;
  const USER_TOKENS = 300;

  beforeAll(async () => {
    g = await startKeysGateway(platform, 'redis', { userTokens: USER_TOKENS });
  });
  afterAll(() => g.close());

  const createKey = async (body: Record<string, unknown>) => {
    const res = await post(`${g.t.url}/admin/api/keys`, body, g.admin);
    expect(res.status).toBe(201);
    return res.body as { id: string; key: string };
  };

  it.each(ROUTES)(
    '%s %s answers 401 invalid_admin_key without the admin key, with a wrong one or with an API key',
    async (method, path, body) => {
      const keysBefore = (await get(`${g.t.url}/admin/api/keys`, g.admin)).body.length;
      const attempts: Array<Record<string, string>> = [
        {},
        bearer('sk-admin-wrong-key-0123456789'),
        bearer(g.admin.authorization.slice(7) + 'x'),
        bearer('sk-demo-alice'),
        { 'x-api-key': g.admin.authorization.slice(7) },
      ];
      for (const headers of attempts) {
        const res = await send(method, `${g.t.url}${path}`, body, headers);
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('invalid_admin_key');
      }
      expect((await get(`${g.t.url}/admin/api/keys`, g.admin)).body).toHaveLength(keysBefore);
      expect((await get(`${g.t.url}/admin/api/users/alice`, g.admin)).body.budgets.find((u: Usage) => u.scope === 'user')).toMatchObject({
        limit: USER_TOKENS,
        granted: 0,
      });
    },
  );

  it('validates bodies and queries: 400 with one message per bad field, nothing created', async () => {
    const before = (await get(`${g.t.url}/admin/api/keys`, g.admin)).body.length;
    const cases: Array<[string, string, unknown, string[]]> = [
      ['POST', '/admin/api/keys', {}, ['user must be a string']],
      [
        'POST',
        '/admin/api/keys',
        { user: 'u', token_budget: -1, tier: 7 },
        ['token_budget must not be less than 0', 'tier must be a string'],
      ],
      ['POST', '/admin/api/keys', { user: 'u', token_budget: 1.5 }, ['token_budget must be an integer number']],
      ['POST', '/admin/api/keys', { user: 'u', admin: true }, ['property admin should not exist']],
      [
        'POST',
        '/admin/api/keys',
        { user: 'u', tier: 'platinum' },
        ["tier: Unknown tier 'platinum'; the tiers are: free, pro. Pass one of those tiers; no key was created."],
      ],
      ['POST', '/admin/api/users/alice/grants', {}, ['tokens or cost_usd is required']],
      ['POST', '/admin/api/users/alice/grants', { tokens: 'many' }, ['tokens must be an integer number']],
      ['PUT', '/admin/api/users/alice/limit', { cost_usd: -2 }, ['cost_usd must not be less than 0']],
      [
        'GET',
        '/admin/api/usage?orderBy=speed&limit=0',
        undefined,
        ['orderBy must be one of the following values: tokens, cost', 'limit must not be less than 1'],
      ],
      ['GET', '/admin/api/usage?scope=session', undefined, ['scope must be one of the following values: user, tenant, key']],
    ];
    for (const [method, path, body, messages] of cases) {
      const res = await send(method, `${g.t.url}${path}`, body, g.admin);
      expect({ path, status: res.status, message: res.body.message }).toEqual({
        path,
        status: 400,
        message: expect.arrayContaining(messages),
      });
    }
    expect((await get(`${g.t.url}/admin/api/keys`, g.admin)).body).toHaveLength(before);
  });

  it('a grant admits the next request that the budget refused', async () => {
    const user = newUser();
    const { key } = await createKey({ user });
    expect((await post(`${g.t.url}/v1/chat/completions`, chat(250), bearer(key))).status).toBe(200);
    const refused = await post(`${g.t.url}/v1/chat/completions`, chat(100), bearer(key));
    expect(refused.status).toBe(402);
    expect(refused.body.error).toMatchObject({ code: 'budget_exceeded', reason: 'user_token_limit_exceeded' });
    const granted = await post(`${g.t.url}/admin/api/users/${user}/grants`, { tokens: 200 }, g.admin);
    expect(granted.status).toBe(200);
    expect(granted.body).toEqual([
      expect.objectContaining({
        scope: 'user',
        id: user,
        used: CHAT_PROMPT + 250,
        limit: USER_TOKENS,
        granted: 200,
        effectiveLimit: USER_TOKENS + 200,
      }),
    ]);
    expect((await post(`${g.t.url}/v1/chat/completions`, chat(100), bearer(key))).status).toBe(200);
  });

  it('a limit override binds the next request, and removing it restores the rule', async () => {
    const user = newUser();
    const { key } = await createKey({ user });
    const set = await send('PUT', `${g.t.url}/admin/api/users/${user}/limit`, { tokens: 50 }, g.admin);
    expect(set.status).toBe(200);
    expect(set.body).toEqual([expect.objectContaining({ scope: 'user', id: user, limit: 50 })]);
    const refused = await post(`${g.t.url}/v1/chat/completions`, chat(100), bearer(key));
    expect(refused.status).toBe(402);
    expect(refused.body.error).toMatchObject({ reason: 'user_token_limit_exceeded', limit: 50, used: 0 });
    const cleared = await send('DELETE', `${g.t.url}/admin/api/users/${user}/limit`, undefined, g.admin);
    expect(cleared.body).toEqual([expect.objectContaining({ limit: USER_TOKENS })]);
    expect((await post(`${g.t.url}/v1/chat/completions`, chat(100), bearer(key))).status).toBe(200);
  });

  it('lists the top users by tokens and by cost, and one user per scope with their keys', async () => {
    const light = newUser();
    const heavy = newUser();
    const lightKey = await createKey({ user: light, tenant: 'acme' });
    const heavyKey = await createKey({ user: heavy });
    await post(`${g.t.url}/v1/chat/completions`, chat(20, 'gpt-4o'), bearer(lightKey.key)); // fewer tokens, dearer model
    await post(`${g.t.url}/v1/chat/completions`, chat(200, 'gpt-4o-mini'), bearer(heavyKey.key));

    const byTokens = await get(`${g.t.url}/admin/api/usage?scope=user&orderBy=tokens&limit=1000`, g.admin);
    const ours = (list: Usage[]) => list.filter((u) => u.id === light || u.id === heavy).map((u) => `${u.id}:${u.used}`);
    expect(ours(byTokens.body)).toEqual([`${heavy}:${CHAT_PROMPT + 200}`, `${light}:${CHAT_PROMPT + 20}`]);
    const byCost = await get(`${g.t.url}/admin/api/usage?scope=user&orderBy=cost&limit=1000`, g.admin);
    expect(ours(byCost.body)).toEqual([`${light}:${CHAT_PROMPT + 20}`, `${heavy}:${CHAT_PROMPT + 200}`]);
    const costs = Object.fromEntries(byCost.body.map((u: Usage) => [u.id, u.costUsd]));
    expect(costs[light]).toBeGreaterThan(costs[heavy]);
    const top = await get(`${g.t.url}/admin/api/usage?limit=1`, g.admin);
    expect(top.body).toHaveLength(1);
    const perKey = await get(`${g.t.url}/admin/api/usage?scope=key&limit=1000`, g.admin);
    expect(perKey.body).toEqual(
      expect.arrayContaining([expect.objectContaining({ scope: 'key', id: heavyKey.id, used: CHAT_PROMPT + 200 })]),
    );

    const report = await get(`${g.t.url}/admin/api/users/${light}`, g.admin);
    expect(report.body).toMatchObject({
      user: light,
      tenant: 'acme',
      keys: [
        expect.objectContaining({
          id: lightKey.id,
          user: light,
          tenant: 'acme',
          budgets: [expect.objectContaining({ scope: 'key', used: CHAT_PROMPT + 20 })],
        }),
      ],
    });
    expect(report.body.budgets).toEqual(
      expect.arrayContaining([expect.objectContaining({ scope: 'user', id: light, used: CHAT_PROMPT + 20, costUsd: costs[light] })]),
    );
  });
});

describe('admin key', () => {
  const env = { ...process.env };
  afterEach(() => {
    process.env = { ...env };
  });

  it('is generated at boot when ADMIN_KEY is unset, and only it opens the admin API', async () => {
    delete process.env.ADMIN_KEY;
    delete process.env.REDIS_URL;
    const a = await startApp('express', { imports: [AppModule.register()] });
    const b = await startApp('express', { imports: [AppModule.register()] });
    try {
      const keyA = a.app.get<AdminKey>(ADMIN_KEY);
      const keyB = b.app.get<AdminKey>(ADMIN_KEY);
      expect(keyA.generated).toBe(true);
      expect(keyA.value).not.toBe(keyB.value);
      expect((await get(`${a.url}/admin/api/keys`, bearer(keyA.value))).status).toBe(200);
      expect((await get(`${a.url}/admin/api/keys`, bearer(keyB.value))).status).toBe(401);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('is ADMIN_KEY when set', async () => {
    delete process.env.REDIS_URL;
    process.env.ADMIN_KEY = 'a-configured-admin-key-0123456789';
    const t = await startApp('fastify', { imports: [AppModule.register()] });
    try {
      expect(t.app.get<AdminKey>(ADMIN_KEY)).toEqual({ value: 'a-configured-admin-key-0123456789', generated: false });
      const keys = await get(`${t.url}/admin/api/keys`, bearer('a-configured-admin-key-0123456789'));
      expect(keys.status).toBe(200);
      expect(keys.body.map((k: { user: string; tier: string }) => `${k.user}:${k.tier}`).sort()).toEqual(['alice:free', 'bob:pro']);
    } finally {
      await t.close();
    }
  });
});
