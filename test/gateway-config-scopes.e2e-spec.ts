import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLATFORMS, TestApp } from './fixtures/create-app';
import { startGateway } from './fixtures/gateway-app';

/** A TOKEN_BUDGET_CONFIG file with `tenant` and `key` rules: a file cannot name an id resolver, so the gateway gives them the caller's key's. */
function configFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gw-scopes-')), 'budgets.yaml');
  writeFileSync(
    file,
    [
      'budgets:',
      '  - { scope: user, period: month, tokens: 100000 }',
      '  - { scope: tenant, period: month, tokens: 60 }',
      '  - { scope: key, period: month, tokens: 0 }',
      '',
    ].join('\n'),
  );
  return file;
}

const chat = (url: string, key: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 20, messages: [{ role: 'user', content: 'Hi' }] }),
  });

describe.each(PLATFORMS)('gateway on %s: tenant and key rules of the config file', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startGateway(
      platform,
      { TOKEN_BUDGET_CONFIG: configFile() },
      {
        keys: {
          'sk-ann': { id: 'ann', tenantId: 'acme' },
          'sk-ben': { id: 'ben', tenantId: 'acme' },
          'sk-cat': { id: 'cat', tenantId: 'other', tokenBudget: 30 },
        },
      },
    );
  });
  afterAll(() => t?.close());

  it("a tenant rule counts the key's tenant: two users of one tenant share its 60 tokens", async () => {
    expect((await chat(t.url, 'sk-ann')).status).toBe(200);
    expect((await chat(t.url, 'sk-ben')).status).toBe(200);
    const refused = await chat(t.url, 'sk-ben');
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ error: { scope: 'tenant' } });
    const budgets = (await (await fetch(`${t.url}/v1/budget`, { headers: { authorization: 'Bearer sk-ann' } })).json()) as {
      scope: string;
      id: string;
      used: number;
    }[];
    expect(budgets.find((b) => b.scope === 'tenant')).toMatchObject({ id: 'acme', used: expect.any(Number) });
    expect(budgets.find((b) => b.scope === 'tenant')!.used).toBeGreaterThan(40);
  });

  it("a key rule in the file still counts per key: a key's own token_budget binds", async () => {
    expect((await chat(t.url, 'sk-cat')).status).toBe(200);
    const refused = await chat(t.url, 'sk-cat');
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ error: { scope: 'key' } });
  });
});
