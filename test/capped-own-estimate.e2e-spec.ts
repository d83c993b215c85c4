import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { BudgetService, estimateRequestBody, TokenBudget, TokenBudgetGuard } from 'nestjs-token-budget';
import { PLATFORMS, post, startBudgetApp, TestApp } from './fixtures/create-app';

type Wrapped = { request: { max_tokens?: number } };

@Controller()
@UseGuards(TokenBudgetGuard)
class WrappedController {
  /** The provider request sits inside the body; the route estimates it with its own estimate. */
  @Post('wrapped')
  @HttpCode(200)
  @TokenBudget({ feature: 'wrapped', capMaxTokens: true, estimate: (req) => estimateRequestBody((req.body as Wrapped).request) ?? 0 })
  wrapped(@Body() body: Wrapped) {
    const completion = body.request.max_tokens ?? 0;
    return { object: 'chat.completion', usage: { prompt_tokens: 1, completion_tokens: completion, total_tokens: 1 + completion } };
  }
}

const LIMIT = 1_000;

describe.each(PLATFORMS)("capMaxTokens and a route's own estimate on %s", (platform) => {
  let t: TestApp;
  let budgets: BudgetService;
  beforeAll(async () => {
    t = await startBudgetApp(platform, { budgets: [{ scope: 'user', period: 'day', tokens: LIMIT }] }, [WrappedController]);
    budgets = t.app.get(BudgetService);
  });
  afterAll(() => t.close());

  it('does not cap (and so does not admit) a request whose own estimate does not fit: the body it would rewrite is not the one estimated', async () => {
    const body = { request: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5_000 } };
    const res = await post(`${t.url}/wrapped`, body, { 'x-user': 'w1' });
    expect(res.status).toBe(429);
    expect((await budgets.getUsage({ user: 'w1', feature: 'wrapped' }))[0]).toMatchObject({ used: 0, reserved: 0 });
  });
});
