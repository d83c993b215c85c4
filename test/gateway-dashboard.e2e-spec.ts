import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { AppModule } from '../src/app.module';
import { get, post, startApp, TestApp } from './fixtures/create-app';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, 'artifacts');
const ADMIN_KEY = 'adm-dashboard-test-key-0123456789';
const alice = { authorization: 'Bearer sk-demo-alice' };
const bob = { authorization: 'Bearer sk-demo-bob' };
const chat = (maxTokens: number) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello in twelve words.' }],
  max_tokens: maxTokens,
});

/** Figures of a user's row as the page shows them. */
const row = (page: Page, user: string) =>
  page.locator(`[data-testid="user-row"][data-user="${user}"] [data-testid="user-figures"]`).evaluate((el) => ({
    used: Number(el.getAttribute('data-used')),
    limit: Number(el.getAttribute('data-limit')),
    cost: Number(el.getAttribute('data-cost')),
    text: el.textContent,
  }));

describe('the /admin dashboard in headless Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  const env = { ...process.env };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install the Debian package (apt-get install chromium, as .ci/run does) or set CHROMIUM_PATH`,
      );
    }
    process.env.MONTHLY_TOKENS_PER_USER = '1000';
    delete process.env.REDIS_URL;
    t = await startApp('express', { imports: [AppModule.register({ adminKey: ADMIN_KEY })] });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
  });
  afterAll(async () => {
    process.env = env;
    await browser?.close();
    await t?.close();
  });

  it('shows each user against their limit, the spend and the rejections, and follows new usage without a reload', async () => {
    expect((await post(`${t.url}/v1/chat/completions`, chat(100), alice)).status).toBe(200);
    expect((await post(`${t.url}/v1/chat/completions`, chat(300), bob)).status).toBe(200);
    // refused: a prompt that leaves no room for the 256 output tokens a fair hold keeps at least (a large max_tokens alone is lowered, not refused)
    expect(
      (await post(`${t.url}/v1/chat/completions`, { ...chat(5_000), messages: [{ role: 'user', content: 'hello '.repeat(1_000) }] }, alice))
        .status,
    ).toBe(402);

    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    // every console message and page error: a CSP violation (an inline script or style refused) shows here
    const consoleLines: string[] = [];
    page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
    await page.addInitScript({
      content:
        "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))",
    });
    await page.goto(`${t.url}/admin`);
    await page.fill('[data-testid="admin-key"]', 'adm-wrong-key-000000000000');
    await page.click('[data-testid="sign-in"]');
    await page.waitForSelector('[data-testid="login-error"]:has-text("refused")');
    await page.fill('[data-testid="admin-key"]', ADMIN_KEY);
    await page.click('[data-testid="sign-in"]');
    await page.waitForSelector('[data-testid="user-row"][data-user="bob"]');

    const [aliceApi] = (await get(`${t.url}/v1/budget`, alice)).body;
    const [bobApi] = (await get(`${t.url}/v1/budget`, bob)).body;
    expect(await row(page, 'alice')).toMatchObject({ used: aliceApi.used, limit: 1_000, cost: aliceApi.costUsd });
    expect(await row(page, 'bob')).toMatchObject({ used: bobApi.used, limit: 1_000, cost: bobApi.costUsd });
    expect((await row(page, 'bob')).text).toContain(`${bobApi.used} / 1,000 tokens`);
    // bob used more: his bar comes first and is wider
    expect(await page.locator('[data-testid="user-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-user')))).toEqual([
      'bob',
      'alice',
    ]);
    const width = (user: string) =>
      page.locator(`[data-testid="user-row"][data-user="${user}"] [data-testid="user-bar"]`).getAttribute('style');
    expect(await width('bob')).toBe(`width: ${((bobApi.used / 1_000) * 100).toFixed(1)}%;`);
    const spend = Number(await page.getAttribute('[data-testid="spend-total"]', 'data-cost'));
    expect(spend).toBeCloseTo(aliceApi.costUsd + bobApi.costUsd, 12);
    expect(await page.getAttribute('[data-testid="rejection"][data-reason="user_token_limit_exceeded"]', 'data-count')).toBe('1');

    // more usage: the page catches up on its own
    const refreshedBefore = await page.getAttribute('[data-testid="refreshed"]', 'data-at');
    await page.evaluate('window.__samePage = true');
    expect((await post(`${t.url}/v1/chat/completions`, chat(200), alice)).status).toBe(200);
    const [aliceAfter] = (await get(`${t.url}/v1/budget`, alice)).body;
    await page.waitForSelector(`[data-testid="user-row"][data-user="alice"] [data-testid="user-figures"][data-used="${aliceAfter.used}"]`, {
      timeout: 10_000,
    });
    expect(await page.getAttribute('[data-testid="refreshed"]', 'data-at')).not.toBe(refreshedBefore);
    expect(await page.evaluate('window.__samePage')).toBe(true); // no reload

    expect(consoleLines.filter((line) => /Content Security Policy|CSP violation|pageerror/i.test(line))).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(existsSync(join(ARTIFACTS, 'dashboard.png'))).toBe(true);
    await page.close();
  });

  it('serves the summary only with the admin key', async () => {
    expect((await get(`${t.url}/admin/api/summary`)).status).toBe(401);
    expect((await get(`${t.url}/admin/api/summary`, { authorization: 'Bearer sk-demo-alice' })).status).toBe(401);
    const summary = await get(`${t.url}/admin/api/summary`, { authorization: `Bearer ${ADMIN_KEY}` });
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ rule: 'user:month', users: expect.any(Array), rejections: { user_token_limit_exceeded: 1 } });
  });
});

describe.each(['express', 'fastify'] as const)('the /admin page headers on %s', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(platform, { imports: [AppModule.register({ adminKey: ADMIN_KEY, log: { level: 'silent' } })] });
  });
  afterAll(() => t?.close());

  it("sends a CSP with frame-ancestors 'none' and no inline code, serves its script and stylesheet as files, no X-Powered-By", async () => {
    const page = await fetch(`${t.url}/admin`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-powered-by')).toBeNull();
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i); // every script has a src
    expect(html).not.toMatch(/<style|\son[a-z]+=/i);
    for (const [path, type] of [
      ['/admin/dashboard.js', 'text/javascript'],
      ['/admin/dashboard.css', 'text/css'],
    ]) {
      const res = await fetch(`${t.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect((await res.text()).length).toBeGreaterThan(500);
    }
  });
});

describe('the /admin page in a frame, in headless Chromium', () => {
  it('is refused by the browser (frame-ancestors)', async () => {
    const t = await startApp('express', { imports: [AppModule.register({ adminKey: ADMIN_KEY, log: { level: 'silent' } })] });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
    try {
      const page = await browser.newPage();
      const refused = page.waitForEvent('console', { predicate: (message) => /frame-ancestors/.test(message.text()), timeout: 15_000 });
      await page.setContent(`<iframe src="${t.url}/admin"></iframe>`);
      expect((await refused).text()).toMatch(/frame-ancestors 'none'.*blocked|Refused to frame/);
    } finally {
      await browser.close();
      await t.close();
    }
  });
});

describe('the /admin summary with several user rules', () => {
  it('ranks the users of the first user rule and reports the spend of the first feature rule', async () => {
    const budget = {
      budgets: [
        { scope: 'user' as const, period: 'day' as const, tokens: 5_000 },
        { scope: 'user' as const, period: 'month' as const, tokens: 50_000 },
        { scope: 'feature' as const, period: 'day' as const },
        { scope: 'feature' as const, period: 'month' as const },
      ],
    };
    const t = await startApp('express', { imports: [AppModule.register({ adminKey: ADMIN_KEY, budget, log: { level: 'silent' } })] });
    try {
      expect((await post(`${t.url}/v1/chat/completions`, chat(100), alice)).status).toBe(200);
      const summary = await get(`${t.url}/admin/api/summary`, { authorization: `Bearer ${ADMIN_KEY}` });
      expect(summary.status).toBe(200);
      expect(summary.body).toMatchObject({ rule: 'user:day', users: [{ id: 'alice', limit: 5_000 }] });
      expect(summary.body.users[0].used).toBeGreaterThan(100);
      // spend from the first feature rule, not "no feature rule"
      expect(summary.body.spend).toMatchObject({ tokens: summary.body.users[0].used, requests: 1 });
    } finally {
      await t.close();
    }
  });
});

describe('the /admin dashboard with a money-only user budget, in headless Chromium', () => {
  const HOSTILE = '<img src=x onerror="window.__xss=1">';
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`Chromium not found at ${CHROMIUM}: install the Debian package (apt-get install chromium) or set CHROMIUM_PATH`);
    const budget = { budgets: [{ scope: 'user' as const, costUsd: 0.001 }] };
    const keys = { 'sk-hostile': { id: HOSTILE, tenantId: 'demo', tier: 'pro' } };
    t = await startApp('express', { imports: [AppModule.register({ adminKey: ADMIN_KEY, budget, keys, log: { level: 'silent' } })] });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('draws the bar against the money limit and shows user ids as text', async () => {
    expect((await post(`${t.url}/v1/chat/completions`, chat(300), { authorization: 'Bearer sk-hostile' })).status).toBe(200);
    const summary = await get(`${t.url}/admin/api/summary`, { authorization: `Bearer ${ADMIN_KEY}` });
    const [user] = summary.body.users as { id: string; costUsd: number; costLimitUsd: number }[];
    expect(user).toMatchObject({ id: HOSTILE, costLimitUsd: 0.001 });
    expect(user.costUsd).toBeGreaterThan(0);

    const page = await browser.newPage();
    await page.goto(`${t.url}/admin`);
    await page.fill('[data-testid="admin-key"]', ADMIN_KEY);
    await page.click('[data-testid="sign-in"]');
    await page.waitForSelector('[data-testid="user-row"]');
    expect(await page.textContent('[data-testid="user-id"]')).toBe(HOSTILE);
    expect(await page.locator('#users img').count()).toBe(0);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    const share = Math.min(1, user.costUsd / 0.001);
    expect(await page.getAttribute('[data-testid="user-bar"]', 'style')).toBe(`width: ${(share * 100).toFixed(1)}%;`);
    expect(await page.textContent('[data-testid="user-figures"]')).toContain('/ $0.001000');
    await page.close();
  });
});
