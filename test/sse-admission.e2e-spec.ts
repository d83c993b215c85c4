import { CanActivate, Controller, ExecutionContext, ForbiddenException, Injectable, MessageEvent, Sse, UseGuards } from '@nestjs/common';
import type Redis from 'ioredis';
import { BudgetService, RedisAdapter, TokenBudget, TokenBudgetGuard, TokenBudgetModule } from 'nestjs-token-budget';
import { interval, map, Observable, take } from 'rxjs';
import { eventually, PLATFORMS, startApp, TestApp } from './fixtures/create-app';
import { testRedis, uniquePrefix } from './fixtures/storages';

/**
 * `@Sse()` routes on an asynchronous storage (Redis). Nest sends an SSE route's headers on a timer
 * once its interceptors have returned, so the hold must be made before that: by TokenBudgetGuard,
 * not deferred to the interceptor. Each check runs many requests, because the hold racing the
 * headers lost only some of the time.
 */
const ESTIMATE = 100;
const LIMIT = 1_000;

/** Refuses requests that carry `x-deny`: a guard that runs after TokenBudgetGuard. */
@Injectable()
class DenyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.switchToHttp().getRequest().headers['x-deny']) throw new ForbiddenException('denied');
    return true;
  }
}

@Controller()
@UseGuards(TokenBudgetGuard, DenyGuard)
class SseController {
  @Sse('events')
  @TokenBudget({ feature: 'events', estimate: ESTIMATE })
  events(): Observable<MessageEvent> {
    return interval(1).pipe(
      take(3),
      map((i) => ({ data: { i } })),
    );
  }
}

describe.each(PLATFORMS)('@Sse() routes on Redis (%s)', (platform) => {
  let t: TestApp;
  let redis: Redis;
  let budgets: BudgetService;
  beforeAll(async () => {
    redis = testRedis();
    t = await startApp(platform, {
      imports: [
        TokenBudgetModule.forRoot({
          storage: new RedisAdapter(redis),
          keyPrefix: uniquePrefix(),
          extractUserId: (req) => req.headers['x-user'],
          budgets: [{ scope: 'user', period: 'day', tokens: LIMIT }],
        }),
      ],
      controllers: [SseController],
    });
    budgets = t.app.get(BudgetService);
  });
  afterAll(async () => {
    await t?.close();
    await redis.quit();
  });

  const open = (user: string, headers: Record<string, string> = {}) =>
    fetch(`${t.url}/events`, { headers: { 'x-user': user, ...headers } });

  it('admits before the SSE headers are sent: every admitted stream carries the budget headers and its events', async () => {
    for (let i = 0; i < 20; i++) {
      const user = `${platform}-admitted-${i}`;
      const response = await open(user);
      const body = await response.text();
      expect([response.status, response.headers.get('x-tokenbudget-remaining')]).toEqual([200, String(LIMIT - ESTIMATE)]);
      expect(body).not.toContain('event: error');
      expect(body.match(/^data: /gm)).toHaveLength(3);
    }
  });

  it('refuses an exhausted budget with a 429, never a 200 with an error event', async () => {
    const user = `${platform}-exhausted`;
    await budgets.record(user, { inputTokens: LIMIT, outputTokens: 0 });
    for (let i = 0; i < 20; i++) {
      const response = await open(user);
      expect(response.status).toBe(429);
      expect(await response.json()).toMatchObject({ statusCode: 429, error: 'budget_exceeded', scope: 'user' });
    }
  });

  it('holds nothing for a request that a later guard refuses', async () => {
    const user = `${platform}-denied`;
    for (let i = 0; i < 10; i++) {
      const response = await open(user, { 'x-deny': '1' });
      expect(response.status).toBe(403);
      await response.text();
    }
    // released when each refused response closes
    await eventually(async () => (await budgets.getUsage(user))[0].reserved === 0, 5_000);
    const [usage] = await budgets.getUsage(user);
    expect([usage.used, usage.reserved, usage.requests]).toEqual([0, 0, 0]);
  });
});
