import { Controller, MessageEvent, Sse, UseGuards } from '@nestjs/common';
import { BudgetService, TokenBudget, TokenBudgetGuard } from 'nestjs-token-budget';
import { Observable, from } from 'rxjs';
import { eventually, PLATFORMS, startBudgetApp } from './fixtures/create-app';

@Controller()
@UseGuards(TokenBudgetGuard)
class StreamController {
  @Sse('stream')
  @TokenBudget({ feature: 'stream', estimate: 500 })
  stream(): Observable<MessageEvent> {
    return from([
      { data: { object: 'chat.completion.chunk', choices: [{ delta: { content: 'Hel' } }], usage: null } },
      { data: { object: 'chat.completion.chunk', choices: [{ delta: { content: 'lo' } }], usage: null } },
      { data: { object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 19, completion_tokens: 10, total_tokens: 29 } } },
    ]);
  }

  @Sse('broken-usage')
  @TokenBudget({
    feature: 'broken',
    estimate: 300,
    usage: () => {
      throw new Error('extractor bug');
    },
  })
  broken(): Observable<MessageEvent> {
    return from([{ data: 'a' }, { data: 'b' }]);
  }
}

describe.each(PLATFORMS)('@Sse() routes on %s', (platform) => {
  it('stream every event and commit the usage the last usage-bearing event carries', async () => {
    const t = await startBudgetApp(platform, { budgets: [{ scope: 'user', period: 'day', tokens: 1_000 }] }, [StreamController]);
    try {
      const response = await fetch(`${t.url}/stream`, { headers: { 'x-user': 'sse-1' } });
      expect(response.status).toBe(200);
      const body = await response.text();
      expect(body.match(/^data: /gm)).toHaveLength(3);
      const budgets = t.app.get(BudgetService);
      await eventually(async () => (await budgets.getUsage('sse-1'))[0].reserved === 0);
      expect((await budgets.getUsage('sse-1'))[0]).toMatchObject({ used: 29, reserved: 0 });
    } finally {
      await t.close();
    }
  });
});

describe('@Sse() with a usage extractor that throws', () => {
  it('still streams every event and commits the estimate', async () => {
    const t = await startBudgetApp('express', { budgets: [{ scope: 'user', period: 'day', tokens: 1_000 }] }, [StreamController]);
    try {
      const response = await fetch(`${t.url}/broken-usage`, { headers: { 'x-user': 'sse-2' } });
      expect((await response.text()).match(/^data: /gm)).toHaveLength(2);
      const budgets = t.app.get(BudgetService);
      await eventually(async () => (await budgets.getUsage('sse-2'))[0].reserved === 0);
      expect((await budgets.getUsage('sse-2'))[0]).toMatchObject({ used: 300 });
    } finally {
      await t.close();
    }
  });
});
