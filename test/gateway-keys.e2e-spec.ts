import { inspect } from 'node:util';
import Redis from 'ioredis';
import { AppModule } from '../src/app.module';
import { hashApiKey } from '../src/keys/api-key-hash';
import { DEMO_KEYS } from '../src/keys/demo-keys';
import { RedisKeyStore } from '../src/keys/redis-key.store';
import { get, PLATFORMS, post, startApp, TestApp } from './fixtures/create-app';
import { chat, CHAT_PROMPT, dumpRedis, KeysGateway, startKeysGateway } from './fixtures/keys-gateway';
import { STORAGE_KINDS } from './fixtures/storages';
import { freePort } from './setup/redis-server';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const claude = { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 20 };
const del = async (url: string, headers: Record<string, string>) => {
  const res = await fetch(url, { method: 'DELETE', headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
let users = 0;
const newUser = () => `user-${process.pid}-${++users}`;

describe.each(PLATFORMS.flatMap((platform) => STORAGE_KINDS.map((kind) => [platform, kind] as const)))(
  'virtual keys on %s with %s storage',
  (platform, kind) => {
    let g: KeysGateway;
    const createKey = async (body: Record<string, unknown>) => {
      const res = await post(`${g.t.url}/admin/api/keys`, body, g.admin);
      expect(res.status).toBe(201);
      return res.body as { id: string; key: string; user: string; tier: string | null; token_budget: number };
    };

    beforeAll(async () => {
      g = await startKeysGateway(platform, kind, { keys: { ...DEMO_KEYS } });
    });
    afterAll(() => g.close());

    it('seeds the demo keys at boot, hashed: they work, and neither plain demo key is stored', async () => {
      const res = await post(`${g.t.url}/v1/chat/completions`, chat(5), bearer('sk-demo-alice'));
      expect(res.status).toBe(200);
      const budget = await get(`${g.t.url}/v1/budget`, bearer('sk-demo-bob'));
      expect(budget.body.map((u: { scope: string; id: string }) => `${u.scope}:${u.id}`)).toContain('user:bob');
      const stored = kind === 'redis' ? await dumpRedis(g.redis!, `${g.keyPrefix}:*`) : inspect(g.store, { depth: 10 });
      const listed = JSON.stringify((await get(`${g.t.url}/admin/api/keys`, g.admin)).body);
      for (const plain of Object.keys(DEMO_KEYS)) {
        expect(stored).toContain(hashApiKey(plain));
        expect(stored).not.toContain(plain);
        expect(listed).not.toContain(hashApiKey(plain).slice(0, 12));
      }
    });

    it('issues a key once, stores only its SHA-256 digest, and never shows either again', async () => {
      const created = await createKey({ user: newUser(), name: 'ci-bot' });
      expect(created.key).toMatch(/^sk-tb-[A-Za-z0-9_-]{43}$/);
      const digest = hashApiKey(created.key);
      const secret = created.key.slice('sk-tb-'.length);
      const stored = kind === 'redis' ? await dumpRedis(g.redis!, '*') : inspect(g.store, { depth: 10 });
      expect(stored).toContain(digest);
      expect(stored).not.toContain(secret);
      const listed = JSON.stringify((await get(`${g.t.url}/admin/api/keys`, g.admin)).body);
      expect(listed).toContain(created.id);
      expect(listed).not.toContain(secret);
      expect(listed).not.toContain(digest);
    });

    it('create, use, revoke: the next request with the key gets 401 invalid_api_key (OpenAI and Anthropic shapes)', async () => {
      const user = newUser();
      const { id, key } = await createKey({ user, tenant: 'acme' });
      const ok = await post(`${g.t.url}/v1/chat/completions`, chat(10), bearer(key));
      expect(ok.status).toBe(200);
      const usage = await get(`${g.t.url}/v1/budget`, bearer(key));
      expect(usage.body).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ scope: 'user', id: user, used: CHAT_PROMPT + 10 }),
          expect.objectContaining({ scope: 'key', id, used: CHAT_PROMPT + 10 }),
        ]),
      );
      const message = await post(`${g.t.url}/v1/messages`, claude, { 'x-api-key': key });
      expect(message.status).toBe(200);

      const revoked = await del(`${g.t.url}/admin/api/keys/${id}`, g.admin);
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ id, user, tenant: 'acme', revoked_at: expect.any(String) });

      const refused = await post(`${g.t.url}/v1/chat/completions`, chat(10), bearer(key));
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({
        error: {
          message: expect.stringContaining('unknown or was revoked'),
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      });
      const anthropic = await post(`${g.t.url}/v1/messages`, claude, { 'x-api-key': key });
      expect(anthropic.status).toBe(401);
      expect(anthropic.body).toEqual({
        type: 'error',
        error: { type: 'authentication_error', message: expect.stringContaining('revoked') },
      });
      // nothing was counted for the refused calls
      const after = await get(`${g.t.url}/admin/api/users/${user}`, g.admin);
      expect(after.body.keys).toEqual([
        expect.objectContaining({
          id,
          revoked_at: expect.any(String),
          budgets: [
            expect.objectContaining({
              scope: 'key',
              used: ok.body.usage.total_tokens + message.body.usage.input_tokens + message.body.usage.output_tokens,
            }),
          ],
        }),
      ]);
    });

    it('a revoked key stays revoked at its first revocation time; an unknown id is 404', async () => {
      const { id } = await createKey({ user: newUser() });
      const first = await del(`${g.t.url}/admin/api/keys/${id}`, g.admin);
      const second = await del(`${g.t.url}/admin/api/keys/${id}`, g.admin);
      expect(first.body.revoked_at).toEqual(expect.any(String));
      expect(second.body.revoked_at).toBe(first.body.revoked_at);
      expect((await del(`${g.t.url}/admin/api/keys/key_nope`, g.admin)).status).toBe(404);
    });

    it("enforces a key's token_budget on that key alone: 402 key_token_limit_exceeded", async () => {
      const user = newUser();
      const limited = await createKey({ user, token_budget: CHAT_PROMPT + 150 });
      const open = await createKey({ user });
      expect((await post(`${g.t.url}/v1/chat/completions`, chat(100), bearer(limited.key))).status).toBe(200);
      const refused = await post(`${g.t.url}/v1/chat/completions`, chat(100), bearer(limited.key));
      expect(refused.status).toBe(402);
      expect(refused.body.error).toMatchObject({
        code: 'budget_exceeded',
        reason: 'key_token_limit_exceeded',
        scope: 'key',
        used: CHAT_PROMPT + 100,
        limit: CHAT_PROMPT + 150,
      });
      // a request that fits what is left passes, and the user's other key is not bound by it
      expect((await post(`${g.t.url}/v1/chat/completions`, chat(50 - CHAT_PROMPT), bearer(limited.key))).status).toBe(200);
      expect((await post(`${g.t.url}/v1/chat/completions`, chat(100), bearer(open.key))).status).toBe(200);
    });

    it("applies a key's tier: a pro key gets the pro rate, a free key the free one", async () => {
      const pro = await createKey({ user: newUser(), tier: 'pro' });
      const free = await createKey({ user: newUser() });
      expect((await post(`${g.t.url}/v1/chat/completions`, chat(1), bearer(pro.key))).headers.get('x-ratelimit-limit')).toBe('200');
      expect((await post(`${g.t.url}/v1/chat/completions`, chat(1), bearer(free.key))).headers.get('x-ratelimit-limit')).toBe('20');
      expect((await post(`${g.t.url}/v1/chat/completions`, chat(1), bearer('sk-demo-bob'))).headers.get('x-ratelimit-limit')).toBe('200');
    });

    it('refuses a missing or unknown key with 401 invalid_api_key', async () => {
      const missing = await post(`${g.t.url}/v1/chat/completions`, chat(1));
      expect(missing.status).toBe(401);
      expect(missing.body.error).toMatchObject({ code: 'invalid_api_key', message: expect.stringContaining('Missing API key') });
      const unknown = await post(`${g.t.url}/v1/chat/completions`, chat(1), bearer('sk-tb-not-a-key'));
      expect(unknown.status).toBe(401);
      expect(unknown.body.error.code).toBe('invalid_api_key');
      expect((await post(`${g.t.url}/v1/chat/completions`, chat(1), { 'x-api-key': 'sk-demo-alice-typo' })).status).toBe(401);
    });
  },
);

describe.each(PLATFORMS)('virtual keys on %s when Redis is unreachable', (platform) => {
  let t: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    // a loopback port nothing listens on; no offline queue, so each command fails at once
    redis = new Redis(await freePort(), '127.0.0.1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    t = await startApp(platform, {
      imports: [
        AppModule.register({
          keys: { 'sk-demo-alice': DEMO_KEYS['sk-demo-alice'] },
          keyStore: new RedisKeyStore(redis),
          budget: { budgets: [{ scope: 'user', period: 'month', tokens: 1000 }] },
        }),
      ],
    });
  });
  afterAll(async () => {
    await t.close();
    redis.disconnect();
  });

  it('boots anyway and answers 503 key_store_unavailable, OpenAI-style', async () => {
    const res = await post(`${t.url}/v1/chat/completions`, chat(1), bearer('sk-demo-alice'));
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      error: {
        message: expect.stringContaining('key store is unreachable'),
        type: 'server_error',
        param: null,
        code: 'key_store_unavailable',
      },
    });
  });
});
