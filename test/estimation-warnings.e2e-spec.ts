import { Body, Controller, Delete, Get, HttpCode, Logger, Post, UseGuards } from '@nestjs/common';
import { TokenBudget, TokenBudgetGuard } from 'nestjs-token-budget';
import { post, startBudgetApp, TestApp } from './fixtures/create-app';

@Controller()
@UseGuards(TokenBudgetGuard)
class MixedController {
  @Get('report')
  @TokenBudget({ feature: 'report' })
  report() {
    return {};
  }

  @Delete('thread')
  @TokenBudget({ feature: 'thread', estimate: 10 })
  deleteThread() {
    return {};
  }

  @Post('chat')
  @HttpCode(200)
  @TokenBudget({ feature: 'chat' })
  chat(@Body() _body: unknown) {
    return { object: 'chat.completion', usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
  }
}

describe('warnings about requests that hold nothing', () => {
  let t: TestApp;
  let warn: jest.SpyInstance;
  const warnings = () => warn.mock.calls.map(([message]) => String(message));

  beforeAll(async () => {
    warn = jest.spyOn(Logger.prototype, 'warn');
    t = await startBudgetApp('express', { budgets: [{ scope: 'user', period: 'day', tokens: 1_000 }] }, [MixedController]);
  });
  afterAll(async () => {
    await t.close();
    warn.mockRestore();
  });

  it('names at boot only the routes whose requests carry no body to estimate from', () => {
    const boot = warnings().filter((message) => message.includes('no request body to estimate from'));
    expect(boot).toHaveLength(1);
    expect(boot[0]).toContain('MixedController.report');
    expect(boot[0]).not.toContain('deleteThread');
    expect(boot[0]).not.toContain('MixedController.chat');
  });

  it('warns once per route when bodies are not provider requests, and not for those that are', async () => {
    const before = warnings().length;
    await post(`${t.url}/chat`, { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }, { 'x-user': 'w1' });
    expect(warnings()).toHaveLength(before);
    for (let i = 0; i < 3; i++) expect((await post(`${t.url}/chat`, { question: 'hi' }, { 'x-user': 'w1' })).status).toBe(200);
    const added = warnings().slice(before);
    expect(added).toEqual([
      expect.stringContaining('chat: the request body is not an OpenAI, Anthropic or Gemini request, so it holds 0 tokens'),
    ]);
  });
});
