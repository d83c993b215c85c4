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
      { data: { type: 'response.completed', response: { usage: { input_tokens: 19, output_tokens: 3, total_tokens: 22 } } } },
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

  @Sse('fails-after-usage')
  @TokenBudget({ feature: 'fails', estimate: 400 })
  failsAfterUsage(): Observable<MessageEvent> {
    return new Observable((subscriber) => {
      subscriber.next({ data: { usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 } } });
      subscriber.error(new Error('upstream dropped'));
    });
  }
}

describe.each(PLATFORMS)('@Sse() routes on %s', (platform) => {
  it('stream every event and commit the usage the last usage-bearing event carries', async () => {
    const t = await startBudgetApp(platform, { budgets: [{ scope: 'user', period: 'day', tokens: 1_000 }] }, [StreamController]);
    try {
      const response = await fetch(`${t.url}/stream`, { headers: { 'x-user': 'sse-1' } });
      expect(response.status).toBe(200);
      const body = await response.text();
      expect(body.match(/^data: /gm)).toHaveLength(4);
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

describe('@Sse() stream that fails after usage arrived', () => {
  it('commits the usage it saw instead of releasing', async () => {
    const t = await startBudgetApp('express', { budgets: [{ scope: 'user', period: 'day', tokens: 1_000 }] }, [StreamController]);
    try {
      await fetch(`${t.url}/fails-after-usage`, { headers: { 'x-user': 'sse-3' } })
        .then((r) => r.text())
        .catch(() => undefined);
      const budgets = t.app.get(BudgetService);
      await eventually(async () => (await budgets.getUsage('sse-3'))[0].reserved === 0);
      expect((await budgets.getUsage('sse-3'))[0]).toMatchObject({ used: 11 });
    } finally {
      await t.close();
    }
  });
});
