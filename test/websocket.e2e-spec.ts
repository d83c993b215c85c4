import { Inject, INestApplication } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import { ConnectedSocket, MessageBody, OnGatewayConnection, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { IncomingMessage } from 'node:http';
import { BudgetExceededException, BudgetService, meterStream, TokenBudgetModule } from 'nestjs-token-budget';
import OpenAI from 'openai';
import WebSocket from 'ws';
import { countTokens } from '../libs/token-budget/src/tokens/tokenizer';
import { eventually } from './fixtures/create-app';
import { FakeProvider } from './fixtures/fake-provider';
import { UPSTREAM_URL } from './fixtures/stream-test.controller';

type BudgetedSocket = WebSocket & { userId?: string };

/** The README's WebSocket recipe: identity at the handshake, BudgetService.reserve, meterStream. */
@WebSocketGateway({ path: '/ws' })
class ChatGateway implements OnGatewayConnection {
  private readonly openai: OpenAI;

  constructor(
    private readonly budgets: BudgetService,
    @Inject(UPSTREAM_URL) upstream: string,
  ) {
    this.openai = new OpenAI({ apiKey: 'test', baseURL: `${upstream}/v1`, maxRetries: 0 });
  }

  handleConnection(socket: BudgetedSocket, req: IncomingMessage): void {
    socket.userId = req.headers['x-user'] as string; // in an app: the authenticated user of the handshake
  }

  @SubscribeMessage('chat')
  async chat(@ConnectedSocket() socket: BudgetedSocket, @MessageBody() body: { prompt: string; knobs?: Record<string, string> }) {
    let reservation;
    try {
      reservation = await this.budgets.reserve(socket.userId!, 500);
    } catch (error) {
      if (error instanceof BudgetExceededException) return { event: 'budget_exceeded', data: error.getResponse() };
      throw error;
    }
    const upstream = new AbortController();
    const abort = () => upstream.abort(); // the socket closed: stop the upstream, settle what was streamed
    socket.once('close', abort);
    try {
      const stream = await this.openai.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: body.prompt }], stream: true, stream_options: { include_usage: true } },
        { headers: body.knobs, signal: upstream.signal },
      );
      for await (const chunk of meterStream(reservation, stream)) socket.send(JSON.stringify({ event: 'chunk', data: chunk }));
      return { event: 'done', data: {} };
    } catch (error) {
      // failed (or the socket closed) before the stream began: meterStream never saw it
      if (!reservation.settled) await reservation.release();
      if (!upstream.signal.aborted) throw error;
      return undefined;
    } finally {
      socket.off('close', abort);
    }
  }
}

describe('WebSocket gateway recipe (BudgetService + meterStream)', () => {
  let upstream: FakeProvider;
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    upstream = await new FakeProvider().start();
    const moduleRef = await Test.createTestingModule({
      imports: [TokenBudgetModule.forRoot({ budgets: [{ scope: 'user', period: 'day', tokens: 1_000 }] })],
      providers: [ChatGateway, { provide: UPSTREAM_URL, useValue: upstream.url }],
    }).compile();
    app = moduleRef.createNestApplication();
    app.useWebSocketAdapter(new WsAdapter(app));
    app.useLogger(false);
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('http', 'ws').replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  });
  afterAll(async () => {
    await app.close();
    await upstream.close();
  });

  const connect = (user: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(`${url}/ws`, { headers: { 'x-user': user } });
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    });
  const usageOf = async (user: string) => (await app.get(BudgetService).getUsage(user))[0];
  const text = (n: number) => Array.from({ length: n }, (_, i) => FakeProvider.chunkText(i)).join('');

  it('streams every chunk over the socket and commits the usage the upstream reported', async () => {
    const socket = await connect('ws-1');
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    await new Promise<void>((resolve) => {
      socket.on('message', (raw) => {
        const message = JSON.parse(String(raw));
        if (message.event === 'chunk') chunks.push(message.data);
        if (message.event === 'done') resolve();
      });
      socket.send(JSON.stringify({ event: 'chat', data: { prompt: 'Hi', knobs: { 'x-fake-chunks': '8', 'x-fake-prompt-tokens': '21' } } }));
    });
    socket.close();
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(text(8));
    await eventually(async () => (await usageOf('ws-1')).reserved === 0);
    expect(await usageOf('ws-1')).toMatchObject({ used: 21 + countTokens(text(8), 'gpt-4o-mini'), reserved: 0 });
    expect(upstream.reportedTotal).toBe(21 + countTokens(text(8), 'gpt-4o-mini'));
  });

  it('a socket that closes after 10 of 100 chunks is charged for what was streamed; the upstream is aborted', async () => {
    const socket = await connect('ws-2');
    let received = 0;
    await new Promise<void>((resolve) => {
      socket.on('message', (raw) => {
        const message = JSON.parse(String(raw));
        if (message.event === 'chunk' && message.data.choices[0]?.delta?.content && ++received === 10) {
          socket.close();
          resolve();
        }
      });
      socket.send(
        JSON.stringify({
          event: 'chat',
          data: { prompt: 'Hi', knobs: { 'x-fake-chunks': '100', 'x-fake-delay-ms': '60', 'x-fake-id': 'ws-2' } },
        }),
      );
    });
    await eventually(async () => (await usageOf('ws-2')).reserved === 0, 5_000);
    const { used } = await usageOf('ws-2');
    expect(used).toBeGreaterThanOrEqual(countTokens(text(10), 'gpt-4o-mini'));
    expect(used).toBeLessThanOrEqual(countTokens(text(12), 'gpt-4o-mini'));
    await eventually(async () => upstream.openStreams === 0);
    expect(upstream.sent.get('ws-2')!.length).toBeLessThan(15);
  });

  it('an upstream that refuses the call (429) leaves nothing reserved: the hold is released, not left to the lease', async () => {
    const socket = await connect('ws-4');
    socket.send(
      JSON.stringify({ event: 'chat', data: { prompt: 'Hi', knobs: { 'x-fake-status': '429', 'x-fake-response-delay-ms': '300' } } }),
    );
    await eventually(async () => (await usageOf('ws-4')).reserved > 0);
    await eventually(async () => (await usageOf('ws-4')).reserved === 0, 3_000);
    expect(await usageOf('ws-4')).toMatchObject({ used: 0, reserved: 0 });
    socket.close();
  });

  it('a socket that closes before the upstream answered aborts the call and settles the hold', async () => {
    const socket = await connect('ws-5');
    socket.send(
      JSON.stringify({
        event: 'chat',
        data: {
          prompt: 'Hi',
          knobs: { 'x-fake-response-delay-ms': '300', 'x-fake-chunks': '50', 'x-fake-delay-ms': '20', 'x-fake-id': 'ws-5' },
        },
      }),
    );
    await eventually(async () => (await usageOf('ws-5')).reserved > 0);
    socket.close();
    await eventually(async () => (await usageOf('ws-5')).reserved === 0, 3_000);
    await eventually(async () => upstream.openStreams === 0);
    expect(upstream.sent.get('ws-5')?.length ?? 0).toBe(0);
  });

  it('answers budget_exceeded when the user has no budget left', async () => {
    await app.get(BudgetService).record('ws-3', 900);
    const socket = await connect('ws-3');
    const reply = await new Promise<{ event: string; data: { reason: string } }>((resolve) => {
      socket.once('message', (raw) => resolve(JSON.parse(String(raw))));
      socket.send(JSON.stringify({ event: 'chat', data: { prompt: 'Hi' } }));
    });
    socket.close();
    expect(reply).toMatchObject({ event: 'budget_exceeded', data: { reason: 'user_token_limit_exceeded' } });
  });
});
