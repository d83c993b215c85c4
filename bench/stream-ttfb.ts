import 'reflect-metadata';
import { Controller, Module, Post, Res, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { createServer, request, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { BudgetService, TokenBudget, TokenBudgetGuard, TokenBudgetModule } from 'nestjs-token-budget';
import OpenAI from 'openai';

/**
 * Time to first byte of a streamed completion: straight from the upstream, through a plain Nest
 * route that pipes the openai SDK stream to the response by hand, and through a budgeted route
 * that returns the SDK stream (guard + interceptor + metered stream). One process, requests one at
 * a time, the three variants interleaved; p50 / p99 over all requests and the differences.
 *
 * Settings (environment): TTFB_REQUESTS (default 400 per variant), TTFB_FIRST_CHUNK_MS (20).
 */
const REQUESTS = Number(process.env.TTFB_REQUESTS ?? 400);
const FIRST_CHUNK_MS = Number(process.env.TTFB_FIRST_CHUNK_MS ?? 20);
const CHUNKS = 5;

const chunk = (content: string | null, usage?: object) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'gpt-4o-mini',
    choices: usage ? [] : [{ index: 0, delta: { content }, finish_reason: null }],
    usage: usage ?? null,
  })}\n\n`;

/** An OpenAI-style upstream: headers at once, the first chunk after FIRST_CHUNK_MS, then the rest. */
function startUpstream(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      setTimeout(() => {
        for (let i = 0; i < CHUNKS; i++) res.write(chunk(` word${i}`));
        res.write(chunk(null, { prompt_tokens: 10, completion_tokens: CHUNKS, total_tokens: 10 + CHUNKS }));
        res.end('data: [DONE]\n\n');
      }, FIRST_CHUNK_MS);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function benchModule(upstream: string) {
  const openai = new OpenAI({ apiKey: 'bench', baseURL: `${upstream}/v1`, maxRetries: 0 });
  const create = () =>
    openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });

  @Controller()
  class StreamController {
    /** Without the library: the stream written to the response by hand. */
    @Post('plain')
    async plain(@Res() res: ServerResponse) {
      const stream = await create();
      let first = true;
      for await (const part of stream) {
        if (first) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          first = false;
        }
        res.write(`data: ${JSON.stringify(part)}\n\n`);
      }
      res.end('data: [DONE]\n\n');
    }

    /** With the library: the SDK stream returned from a budgeted route. */
    @Post('budgeted')
    @UseGuards(TokenBudgetGuard)
    @TokenBudget({ estimate: 100 })
    budgeted() {
      return create();
    }
  }

  @Module({
    imports: [
      TokenBudgetModule.forRoot({ extractUserId: () => 'bench-user', budgets: [{ scope: 'user', period: 'day', tokens: 1_000_000_000 }] }),
    ],
    controllers: [StreamController],
  })
  class BenchModule {}
  return BenchModule;
}

/** ms from sending the request to the first byte of the response body. */
function ttfb(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    let first: number | undefined;
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.on('data', () => {
        first ??= Number(process.hrtime.bigint() - start) / 1e6;
      });
      res.on('end', () => (first === undefined ? reject(new Error(`${url}: empty body`)) : resolve(first)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"stream":true}');
  });
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function main(): Promise<void> {
  const upstream = await startUpstream();
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const app = await NestFactory.create(benchModule(upstreamUrl), new ExpressAdapter(), { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const appUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const variants = {
    direct: `${upstreamUrl}/v1/chat/completions`,
    plain: `${appUrl}/plain`,
    budgeted: `${appUrl}/budgeted`,
  };
  const samples: Record<keyof typeof variants, number[]> = { direct: [], plain: [], budgeted: [] };
  const names = Object.keys(variants) as (keyof typeof variants)[];
  for (let i = 0; i < 50; i++) for (const name of names) await ttfb(variants[name]); // warm-up
  for (let i = 0; i < REQUESTS; i++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length];
      samples[name].push(await ttfb(variants[name]));
    }
  }
  const used = (await app.get(BudgetService).getUsage('bench-user'))[0].used;

  console.log('nestjs-token-budget stream time-to-first-byte bench');
  console.log(`command: npm run bench:stream (TTFB_REQUESTS=${REQUESTS}, TTFB_FIRST_CHUNK_MS=${FIRST_CHUNK_MS})`);
  console.log(
    `node ${process.version}; upstream sends headers at once and its first chunk after ${FIRST_CHUNK_MS} ms; ${REQUESTS} requests per variant, one at a time, interleaved, Express\n`,
  );
  console.log('variant                                   p50 ms   p99 ms');
  const labels = {
    direct: 'direct to the upstream',
    plain: 'Nest route piping the SDK stream by hand',
    budgeted: 'budgeted Nest route returning the stream',
  };
  for (const name of names) {
    console.log(
      `${labels[name].padEnd(40)} ${percentile(samples[name], 50).toFixed(2).padStart(7)} ${percentile(samples[name], 99).toFixed(2).padStart(8)}`,
    );
  }
  const diff = (a: keyof typeof variants, b: keyof typeof variants, p: number) =>
    (percentile(samples[a], p) - percentile(samples[b], p)).toFixed(2);
  console.log(
    `\nbudgeted - direct: p50 ${diff('budgeted', 'direct', 50)} ms, p99 ${diff('budgeted', 'direct', 99)} ms (target: p50 within 5 ms)`,
  );
  console.log(
    `budgeted - plain:  p50 ${diff('budgeted', 'plain', 50)} ms, p99 ${diff('budgeted', 'plain', 99)} ms (the library's own share)`,
  );
  const expected = (REQUESTS + 50) * (10 + CHUNKS);
  console.log(
    `\nsanity: ${used} tokens committed for ${REQUESTS + 50} budgeted streams (expected ${expected}: the upstream's include_usage figures)`,
  );
  await app.close();
  upstream.close();
  if (used !== expected) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
