import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { compatModule, DAILY_TOKENS, TIER_LIMIT } from './compat.module.js';
import { PROMPT_TOKENS, startUpstream } from './upstream.js';

export type Platform = 'express' | 'fastify';
export type Storage = 'memory' | 'redis';

/** Every platform × storage of a cell; redis only when the cell has a redis-server (COMPAT_REDIS_URL). */
export function cases(): [Platform, Storage][] {
  const storages: Storage[] = process.env.COMPAT_REDIS_URL ? ['memory', 'redis'] : ['memory'];
  return (['express', 'fastify'] as Platform[]).flatMap((platform) => storages.map((storage): [Platform, Storage] => [platform, storage]));
}

async function call(base: string, path: string, user: string, body?: object) {
  const res = await fetch(`${base}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { 'x-user': user, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function used(base: string, user: string): Promise<number> {
  const res = await call(base, `/usage/${user}`, 'admin');
  assert.equal(res.status, 200, res.text);
  const usage = JSON.parse(res.text) as { name: string; used: number; reserved: number; limit: number }[];
  const daily = usage.find((u) => u.name === 'user:day');
  assert.ok(daily, `getUsage answered ${res.text}`);
  assert.equal(daily.limit, DAILY_TOKENS);
  assert.equal(daily.reserved, 0, 'nothing is left held once the answer is sent');
  return daily.used;
}

/** The public API exercised for real on one platform and storage, through a listening app. */
export async function runScenario(platform: Platform, storage: Storage): Promise<void> {
  const upstream = await startUpstream();
  const keyPrefix = `compat-${process.pid}-${platform}-${Date.now()}`;
  const redisUrl = process.env.COMPAT_REDIS_URL;
  const redis = storage === 'redis' ? new Redis(redisUrl!, { commandTimeout: 5_000, maxRetriesPerRequest: 1 }) : undefined;
  let app: INestApplication | undefined;
  try {
    const module = compatModule({ storage, redisUrl, upstreamUrl: upstream.url, keyPrefix }, redis);
    app = await NestFactory.create(module, platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), {
      logger: ['error', 'warn'],
    });
    await app.listen(0, '127.0.0.1');
    const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');

    // body-estimated route: the provider's usage (prompt + the whole max_tokens) is what is committed
    const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 100 };
    const first = await call(base, '/v1/chat/completions', 'alice', chat);
    assert.equal(first.status, 200, first.text);
    assert.equal(JSON.parse(first.text).usage.completion_tokens, 100);
    assert.equal(first.headers.get('x-tokenbudget-limit'), String(DAILY_TOKENS));
    assert.ok(first.headers.get('x-tokenbudget-remaining'));
    assert.equal(await used(base, 'alice'), PROMPT_TOKENS + 100);

    // streamed route: bytes pass through, the usage chunk is committed when the stream ends
    const streamed = await call(base, '/v1/chat/completions', 'alice', { ...chat, max_tokens: 50, stream: true });
    assert.equal(streamed.status, 200, streamed.text);
    assert.match(streamed.text, /"content":"Hel"/);
    assert.match(streamed.text, /data: \[DONE\]/);
    assert.equal(await used(base, 'alice'), 2 * PROMPT_TOKENS + 150);

    // a request the budget cannot hold: 429 with the documented body and headers, nothing charged
    const refused = await call(base, '/v1/chat/completions', 'bob', { ...chat, max_tokens: DAILY_TOKENS * 2 });
    assert.equal(refused.status, 429, refused.text);
    const body = JSON.parse(refused.text);
    assert.equal(body.error, 'budget_exceeded');
    assert.equal(body.reason, 'user_token_limit_exceeded');
    assert.equal(body.limit, DAILY_TOKENS);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.equal(refused.headers.get('x-tokenbudget-limit'), String(DAILY_TOKENS));
    assert.equal(await used(base, 'bob'), 0);

    // TierThrottlerGuard: the free tier's request rate, then its 429
    for (let i = 0; i < TIER_LIMIT; i++) assert.equal((await call(base, '/tier/ping', 'carol')).status, 200);
    const limited = await call(base, '/tier/ping', 'carol');
    assert.equal(limited.status, 429, limited.text);
    assert.equal(JSON.parse(limited.text).error, 'tier_rate_limited');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);

    if (redis) {
      const keys = await redis.keys(`${keyPrefix}:*`);
      assert.ok(
        keys.some((key) => key.includes(':rate:')),
        `rate window on Redis: ${keys.join(', ')}`,
      );
      assert.ok(keys.length >= 2, `budget counters on Redis under the prefix: ${keys.join(', ')}`);
    }
  } finally {
    await app?.close();
    await upstream.close();
    if (redis) {
      const keys = await redis.keys(`${keyPrefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  }
}

/** `npx token-budget validate-config <file>` in the app's directory, as a user runs it. */
export function validateConfig(file: string): string {
  return execFileSync('npx', ['--no-install', 'token-budget', 'validate-config', file], { encoding: 'utf8' });
}
