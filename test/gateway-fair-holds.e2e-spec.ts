import { aiSdkAnthropicCalls } from './fixtures/ai-sdk-anthropic';
import { userBudget } from './fixtures/gateway-app';
import { buildGatewayApp, GatewayProcess, startGatewayProcess } from './fixtures/gateway-process';
import { PLATFORMS } from './fixtures/create-app';

/**
 * The example gateway as `npm start` runs it, on its built-in mock upstream (which bills the whole
 * output limit it receives): fair holds are on, so the SDK default of @ai-sdk/anthropic (64,000
 * `max_tokens` for claude-sonnet-4-5) is served to a user with budget left instead of refused.
 */
describe.each(PLATFORMS)('the gateway serves SDK-default output limits with fair holds (%s)', (platform) => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    buildGatewayApp();
    gateway = await startGatewayProcess({ PLATFORM: platform, PORT: '0', MONTHLY_TOKENS_PER_USER: '50000' });
  }, 120_000);
  afterAll(() => gateway?.stop());

  it('a default @ai-sdk/anthropic call from a user with 50,000 tokens left is served, never refused for asking 64,000', async () => {
    const [result] = await aiSdkAnthropicCalls(`${gateway.url}/v1`, 'sk-demo-alice');
    expect(result).toMatchObject({ ok: true });
    const budget = await userBudget(gateway.url, 'sk-demo-alice');
    expect(budget.reserved).toBe(0);
    expect(budget.used).toBeGreaterThan(256); // the mock billed the whole (lowered) output limit
    expect(budget.used).toBeLessThanOrEqual(0.25 * 50_000 + 100);
  });

  it('four such calls at once are all served and stay within the budget', async () => {
    const results = await aiSdkAnthropicCalls(`${gateway.url}/v1`, 'sk-demo-bob', 4);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    const budget = await userBudget(gateway.url, 'sk-demo-bob');
    expect(budget.reserved).toBe(0);
    expect(budget.used).toBeLessThanOrEqual(50_000);
  });
});
