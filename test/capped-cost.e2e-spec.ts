import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { BudgetService, TokenBudget, TokenBudgetGuard } from 'nestjs-token-budget';
import { PLATFORMS, post, startBudgetApp, TestApp } from './fixtures/create-app';

type ChatBody = { max_tokens?: number };
/** gpt-4o-mini in nano-dollars per token: $0.15 and $0.60 per million. */
const INPUT_NANOS = 150;
const OUTPUT_NANOS = 600;
const seen: ChatBody[] = [];

@Controller()
@UseGuards(TokenBudgetGuard)
class CappedCostController {
  /** Bills every output token the body allows, at the model's price. */
  @Post('capped')
  @HttpCode(200)
  @TokenBudget({ feature: 'capped', capMaxTokens: true })
  capped(@Body() body: ChatBody) {
    seen.push({ ...body });
    const completion = body.max_tokens ?? 0;
    return {
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      usage: { prompt_tokens: 10, completion_tokens: completion, total_tokens: 10 + completion },
    };
  }

  /** A result without usage: the (capped) hold is committed as is. */
  @Post('capped-bare')
  @HttpCode(200)
  @TokenBudget({ feature: 'capped-bare', capMaxTokens: true })
  cappedBare(@Body() body: ChatBody) {
    seen.push({ ...body });
    return {};
  }
}

const chat = (maxTokens: number) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: maxTokens });

describe.each(PLATFORMS)('capMaxTokens beside a cost budget on %s', (platform) => {
  let t: TestApp;
  let budgets: BudgetService;
  beforeAll(async () => {
    t = await startBudgetApp(
      platform,
      {
        budgets: [
          { scope: 'user', period: 'day', costUsd: 0.001, feature: 'capped' },
          { scope: 'user', period: 'day', tokens: 1_000, costUsd: 1, feature: 'capped-bare' },
        ],
      },
      [CappedCostController],
    );
    budgets = t.app.get(BudgetService);
  });
  afterAll(() => t.close());
  beforeEach(() => (seen.length = 0));

  it('refuses under the strict policy a call whose price does not fit the money left, instead of admitting it uncapped', async () => {
    // 100,000 output tokens cost $0.06; the user has $0.001
    const res = await post(`${t.url}/capped`, chat(100_000), { 'x-user': 'k1' });
    expect(res.status).toBe(429);
    expect(res.body.reason).toBe('user_cost_limit_exceeded');
    expect(seen).toEqual([]);
    expect((await budgets.getUsage({ user: 'k1', feature: 'capped' }))[0]).toMatchObject({ costUsd: 0, costReservedUsd: 0 });
  });

  it('a capped call committed without usage is charged the price of what it was capped to', async () => {
    const res = await post(`${t.url}/capped-bare`, chat(5_000), { 'x-user': 'k2' });
    expect(res.status).toBe(200);
    const cappedTo = seen[0].max_tokens as number;
    expect(cappedTo).toBeLessThan(1_000);
    const [usage] = await budgets.getUsage({ user: 'k2', feature: 'capped-bare' });
    const prompt = usage.used - cappedTo;
    expect(usage).toMatchObject({ used: 1_000, reserved: 0, costReservedUsd: 0 });
    expect(Math.round(usage.costUsd * 1e9)).toBe(prompt * INPUT_NANOS + cappedTo * OUTPUT_NANOS);
  });
});
