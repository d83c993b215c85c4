import Redis from 'ioredis';
import { request } from 'node:http';
import { hashApiKey } from '../src/keys/api-key-hash';
import { get, post } from './fixtures/create-app';
import { chat, CHAT_PROMPT, dumpRedis } from './fixtures/keys-gateway';
import { buildGatewayApp, GatewayProcess, startGatewayProcess } from './fixtures/gateway-process';
import { redisUrl } from './fixtures/storages';

const ADMIN = 'instances-admin-key-0123456789';
const admin = { authorization: `Bearer ${ADMIN}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const run = `${process.pid}-${Date.now().toString(36)}`;
let users = 0;
const newUser = () => `multi-${run}-${++users}`;
async function send(method: string, url: string, body: unknown, headers: Record<string, string>) {
  const json: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  const res = await fetch(url, { method, headers: { ...json, ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}
type Usage = { scope: string; id: string; used: number; limit: number };

/** A streamed chat call: resolves once its first bytes arrived; `ended` resolves with the time its connection ended. */
function openStream(url: string, key: string): Promise<{ text: () => string; ended: Promise<number> }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const req = request(
      `${url}/v1/chat/completions`,
      { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } },
      (res) => {
        if (res.statusCode !== 200) reject(new Error(`stream answered ${res.statusCode}`));
        const ended = new Promise<number>((done) => {
          res.once('close', () => done(Date.now()));
          res.on('error', () => undefined);
        });
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const first = text === '';
          text += chunk;
          if (first) resolve({ text: () => text, ended });
        });
      },
    );
    req.once('error', reject);
    req.end(JSON.stringify({ ...chat(200), stream: true }));
  });
}

/** Two gateway processes (A on Express, B on Fastify) over one Redis: keys, usage and limits agree on both. */
describe('two gateway processes over one Redis', () => {
  let a: GatewayProcess;
  let b: GatewayProcess;
  let redis: Redis;
  const USER_TOKENS = 1_000;

  beforeAll(async () => {
    buildGatewayApp();
    // streams of the mock last ~12 s (6 words, 2 s apart): long enough to be revoked while they flow
    const env = { REDIS_URL: redisUrl(), ADMIN_KEY: ADMIN, MONTHLY_TOKENS_PER_USER: String(USER_TOKENS), MOCK_STREAM_DELAY_MS: '2000' };
    [a, b] = await Promise.all([
      startGatewayProcess({ ...env, PORT: '0', PLATFORM: 'express' }),
      startGatewayProcess({ ...env, PORT: '0', PLATFORM: 'fastify' }),
    ]);
    redis = new Redis(redisUrl());
  }, 180_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.quit();
  });

  const createKey = async (on: GatewayProcess, body: Record<string, unknown>) => {
    const res = await post(`${on.url}/admin/api/keys`, body, admin);
    expect(res.status).toBe(201);
    return res.body as { id: string; key: string };
  };

  it('both seeded the demo keys into the shared store once, hashed', async () => {
    const listed = (await get(`${b.url}/admin/api/keys`, admin)).body as Array<{ user: string }>;
    expect(listed.filter((k) => k.user === 'alice')).toHaveLength(1);
    expect(listed.filter((k) => k.user === 'bob')).toHaveLength(1);
    const stored = await dumpRedis(redis, 'tokenbudget:gateway:*');
    expect(stored).toContain(hashApiKey('sk-demo-alice'));
    expect(stored).not.toContain('sk-demo-alice');
    expect((await post(`${b.url}/v1/chat/completions`, chat(1), bearer('sk-demo-alice'))).status).toBe(200);
  });

  it('a key created on A works on B; revoked on A, B refuses it on the very next request', async () => {
    const { id, key } = await createKey(a, { user: newUser() });
    expect((await post(`${b.url}/v1/chat/completions`, chat(5), bearer(key))).status).toBe(200);
    expect((await send('DELETE', `${a.url}/admin/api/keys/${id}`, undefined, admin)).status).toBe(200);
    const refused = await post(`${b.url}/v1/chat/completions`, chat(5), bearer(key));
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('invalid_api_key');
    expect((await post(`${a.url}/v1/chat/completions`, chat(5), bearer(key))).status).toBe(401);
    const listedOnB = (await get(`${b.url}/admin/api/keys`, admin)).body as Array<{ id: string; revoked_at: string | null }>;
    expect(listedOnB.find((k) => k.id === id)?.revoked_at).toEqual(expect.any(String));
  });

  it("usage spent through A shows in B's /v1/budget and /admin/api/usage", async () => {
    const user = newUser();
    const { id, key } = await createKey(a, { user });
    // 250 output tokens: under the gateway's fair-hold floor (256), so the call holds and is billed exactly what it asks
    expect((await post(`${a.url}/v1/chat/completions`, chat(250), bearer(key))).status).toBe(200);
    const budget = await get(`${b.url}/v1/budget`, bearer(key));
    expect(budget.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ scope: 'user', id: user, used: CHAT_PROMPT + 250, limit: USER_TOKENS }),
        expect.objectContaining({ scope: 'key', id, used: CHAT_PROMPT + 250 }),
      ]),
    );
    const top = (await get(`${b.url}/admin/api/usage?scope=user&limit=1000`, admin)).body as Usage[];
    expect(top.find((u) => u.id === user)).toMatchObject({ used: CHAT_PROMPT + 250 });
  });

  it("a limit set on B binds on A; a key's token_budget set on A binds on B", async () => {
    const user = newUser();
    const { key } = await createKey(a, { user });
    expect((await send('PUT', `${b.url}/admin/api/users/${user}/limit`, { tokens: 50 }, admin)).status).toBe(200);
    const refused = await post(`${a.url}/v1/chat/completions`, chat(100), bearer(key));
    expect(refused.status).toBe(402);
    expect(refused.body.error).toMatchObject({ reason: 'user_token_limit_exceeded', limit: 50 });

    const capped = await createKey(a, { user: newUser(), token_budget: CHAT_PROMPT + 20 });
    expect((await post(`${b.url}/v1/chat/completions`, chat(20), bearer(capped.key))).status).toBe(200);
    const over = await post(`${b.url}/v1/chat/completions`, chat(1), bearer(capped.key));
    expect(over.status).toBe(402);
    expect(over.body.error).toMatchObject({ reason: 'key_token_limit_exceeded', used: CHAT_PROMPT + 20 });
  });

  it('a grant made on A admits the next request on B', async () => {
    const user = newUser();
    const { key } = await createKey(b, { user });
    // fill the budget: a call asking more than 256 output tokens would be lowered (fair holds), so three calls of 256
    for (let i = 0; i < 3; i++) expect((await post(`${b.url}/v1/chat/completions`, chat(256), bearer(key))).status).toBe(200);
    expect(USER_TOKENS - 3 * (CHAT_PROMPT + 256)).toBeLessThan(CHAT_PROMPT + 200);
    expect((await post(`${b.url}/v1/chat/completions`, chat(200), bearer(key))).status).toBe(402);
    expect((await post(`${a.url}/admin/api/users/${user}/grants`, { tokens: 500 }, admin)).status).toBe(200);
    expect((await post(`${b.url}/v1/chat/completions`, chat(200), bearer(key))).status).toBe(200);
  });

  it('revoking a key on A ends its open streams on A and on B within 1 s, each charged what it streamed', async () => {
    const user = newUser();
    const { id, key } = await createKey(a, { user });
    const [onA, onB] = await Promise.all([openStream(a.url, key), openStream(b.url, key)]);
    const revokedAt = Date.now();
    expect((await send('DELETE', `${a.url}/admin/api/keys/${id}`, undefined, admin)).status).toBe(200);
    const [endA, endB] = await Promise.all([onA.ended, onB.ended]);
    expect(endA - revokedAt).toBeLessThan(1_000);
    expect(endB - revokedAt).toBeLessThan(1_000);
    expect(onA.text()).not.toContain('[DONE]');
    expect(onB.text()).not.toContain('[DONE]');
    // both holds settled (as disconnects: the prompt and what streamed), nothing left reserved
    const deadline = Date.now() + 10_000;
    let rows = (await get(`${b.url}/admin/api/usage?scope=user&limit=1000`, admin)).body as Array<Usage & { reserved: number }>;
    while (rows.find((u) => u.id === user)?.reserved !== 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      rows = (await get(`${b.url}/admin/api/usage?scope=user&limit=1000`, admin)).body as Array<Usage & { reserved: number }>;
    }
    const row = rows.find((u) => u.id === user)!;
    expect(row.reserved).toBe(0);
    expect(row.used).toBeGreaterThanOrEqual(2 * CHAT_PROMPT);
    expect(row.used).toBeLessThan(2 * (CHAT_PROMPT + 200));
  });
});
