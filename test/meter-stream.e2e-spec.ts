import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { BudgetService, meterStream, TokenBudgetModule } from 'nestjs-token-budget';
import OpenAI from 'openai';
import { countTokens } from '../libs/token-budget/src/tokens/tokenizer';
import { eventually } from './fixtures/create-app';
import { FakeProvider } from './fixtures/fake-provider';

/**
 * meterStream as a GraphQL subscription or any consumer uses it: the consumer may stop (return())
 * before it ever asked for the first chunk, e.g. a client that unsubscribes at once.
 */
describe('meterStream stopped before its first chunk', () => {
  let upstream: FakeProvider;
  let app: INestApplication;
  let openai: OpenAI;
  beforeAll(async () => {
    upstream = await new FakeProvider().start();
    const moduleRef = await Test.createTestingModule({
      imports: [TokenBudgetModule.forRoot({ leaseMs: 600_000, budgets: [{ scope: 'user', period: 'day', tokens: 100_000 }] })],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    openai = new OpenAI({ apiKey: 'test', baseURL: `${upstream.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await app.close();
    await upstream.close();
  });
  const usageOf = async (user: string) => (await app.get(BudgetService).getUsage(user))[0];
  const open = (id: string) =>
    openai.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } },
      { headers: { 'x-fake-chunks': '100', 'x-fake-delay-ms': '20', 'x-fake-id': id } },
    );

  it('return() before the first next(): the hold is settled at once (nothing streamed: the estimate is not charged) and the upstream is aborted', async () => {
    const budgets = app.get(BudgetService);
    const reservation = await budgets.reserve('ms-1', 2_000);
    const stream = await open('ms-1');
    const metered = meterStream(reservation, stream);
    await metered.return(undefined);
    expect(reservation.settled).toBe(true);
    await eventually(async () => (await usageOf('ms-1')).reserved === 0, 3_000);
    expect((await usageOf('ms-1')).used).toBe(0);
    await eventually(async () => upstream.openStreams === 0);
    expect(upstream.sent.get('ms-1')!.length).toBeLessThan(100);
  });

  it('consumed whole, it still commits the usage the upstream reported (control)', async () => {
    const budgets = app.get(BudgetService);
    const reservation = await budgets.reserve('ms-2', 2_000);
    const stream = await openai.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } },
      { headers: { 'x-fake-chunks': '7', 'x-fake-prompt-tokens': '11' } },
    );
    let chunks = 0;
    for await (const chunk of meterStream(reservation, stream)) chunks += chunk.choices.length;
    expect(chunks).toBeGreaterThanOrEqual(7);
    await eventually(async () => (await usageOf('ms-2')).reserved === 0, 3_000);
    const text = Array.from({ length: 7 }, (_, i) => FakeProvider.chunkText(i)).join('');
    expect((await usageOf('ms-2')).used).toBe(11 + countTokens(text, 'gpt-4o-mini'));
  });
});
