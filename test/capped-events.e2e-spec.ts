import { BudgetEvent, BudgetService, TokenBudget, TokenBudgetGuard, TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { PLATFORMS, post, startBudgetApp, TestApp } from './fixtures/create-app';
import { makeStorage, STORAGE_KINDS } from './fixtures/storages';
import { uniquePrefix } from './fixtures/storages';

@Controller()
@UseGuards(TokenBudgetGuard)
class CappedController {
  /** Estimated from the OpenAI body, its max_tokens lowered to what is left; answers the limit it got. */
  @Post('capped')
  @HttpCode(200)
  @TokenBudget({ feature: 'capped', capMaxTokens: true })
  capped(@Body() body: { max_tokens: number }) {
    return { usage: { prompt_tokens: 10, completion_tokens: 0, total_tokens: 10 }, maxTokens: body.max_tokens };
  }
}

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Write a long story about the sea.' }], max_tokens: 500 };

describe.each(PLATFORMS)('events of a capMaxTokens admission (%s)', (platform) => {
  describe.each(STORAGE_KINDS)('%s storage', (kind) => {
    let app: TestApp;
    let store: ReturnType<typeof makeStorage>;
    let budgets: BudgetService;

    beforeEach(async () => {
      store = makeStorage(kind);
      const options: TokenBudgetModuleOptions = {
        storage: store.storage,
        keyPrefix: uniquePrefix(),
        extractUserId: (req) => req.headers['x-user'],
        budgets: [
          { scope: 'user', period: 'day', tokens: 1_000 },
          { scope: 'tenant', id: (req) => req.headers['x-tenant'], period: 'day', tokens: 100, onExceeded: 'warn' },
        ],
      };
      app = await startBudgetApp(platform, options, [CappedController]);
      budgets = app.app.get(BudgetService);
      // the tenant is past its (warn-only) limit; the user has 5 tokens left
      await (await budgets.reserve({ tenant: 't1' }, 150)).commit(150);
      await (await budgets.reserve({ user: 'u1' }, 995)).commit(995);
    });

    afterEach(async () => {
      await app.close();
      await store.close();
    });

    it('a request refused because less than its prompt is left emits the refusal only, not a warning for an admission that did not happen', async () => {
      const events: BudgetEvent[] = [];
      const subscription = budgets.events$.subscribe((e) => events.push(e));
      const response = await post(`${app.url}/capped`, chat, { 'x-user': 'u1', 'x-tenant': 't1' });
      subscription.unsubscribe();
      expect(response.status).toBe(429);
      expect(events.map((e) => (e.type === 'exceeded' ? `${e.action} ${e.scope}` : e.type))).toEqual(['rejected user']);
    });

    it('an admitted capped request warns once per warn-only budget', async () => {
      await budgets.grant({ user: 'u1' }, { tokens: 100 });
      const events: BudgetEvent[] = [];
      const subscription = budgets.events$.subscribe((e) => events.push(e));
      const response = await post(`${app.url}/capped`, chat, { 'x-user': 'u1', 'x-tenant': 't1' });
      subscription.unsubscribe();
      expect(response.status).toBe(200);
      expect(response.body.maxTokens).toBeLessThan(chat.max_tokens); // capped to the 105 tokens left
      expect(events.filter((e) => e.type === 'exceeded').map((e) => (e.type === 'exceeded' ? `${e.action} ${e.scope}` : ''))).toEqual([
        'warned tenant',
      ]);
    });
  });
});
