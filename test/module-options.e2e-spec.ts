import { Controller, ExecutionContext, HttpException, Injectable, Module, Post, UseGuards } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import {
  BudgetExceededInfo,
  BudgetService,
  MemoryAdapter,
  RedisAdapter,
  StorageAdapter,
  TokenBudget,
  TokenBudgetGuard,
  TokenBudgetModule,
  TokenBudgetModuleOptions,
} from 'nestjs-token-budget';
import { eventually, post, startApp } from './fixtures/create-app';
import { redisUrl, uniquePrefix } from './fixtures/storages';

async function compile(imports: unknown[]) {
  const moduleRef = await Test.createTestingModule({ imports: imports as never[] }).compile();
  moduleRef.useLogger(false);
  return moduleRef;
}

describe('TokenBudgetModule options', () => {
  it('forRootAsync builds options from ConfigService (here: a RedisAdapter from REDIS_URL)', async () => {
    const keyPrefix = uniquePrefix();
    const moduleRef = await compile([
      TokenBudgetModule.forRootAsync({
        imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ BUDGET_REDIS_URL: redisUrl(), MONTHLY_TOKENS: '5000' })] })],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({
          storage: new RedisAdapter(config.getOrThrow<string>('BUDGET_REDIS_URL')),
          keyPrefix,
          budgets: [{ scope: 'user', period: 'month', tokens: Number(config.getOrThrow('MONTHLY_TOKENS')) }],
        }),
      }),
    ]);
    await moduleRef.init();
    const budgets = moduleRef.get(BudgetService);
    expect(moduleRef.get(StorageAdapter)).toBeInstanceOf(RedisAdapter);
    await budgets.record('u1', 1_234);
    expect((await budgets.getUsage('u1'))[0]).toMatchObject({ used: 1_234, limit: 5_000 });
    await moduleRef.close(); // quits the client the adapter created
    expect((moduleRef.get(StorageAdapter) as RedisAdapter).client.status).toBe('end');
  });

  it('forRootAsync with useClass and useExisting', async () => {
    @Injectable()
    class BudgetConfig {
      createTokenBudgetOptions(): TokenBudgetModuleOptions {
        return { budgets: [{ scope: 'user', tokens: 77 }] };
      }
    }
    @Module({ providers: [BudgetConfig], exports: [BudgetConfig] })
    class BudgetConfigModule {}

    for (const async of [{ useClass: BudgetConfig }, { imports: [BudgetConfigModule], useExisting: BudgetConfig }]) {
      const moduleRef = await compile([TokenBudgetModule.forRootAsync(async)]);
      const [usage] = await moduleRef.get(BudgetService).getUsage('u');
      expect(usage).toMatchObject({ limit: 77, period: expect.stringMatching(/^\d{4}-\d{2}$/) });
      expect(moduleRef.get(StorageAdapter)).toBeInstanceOf(MemoryAdapter);
      await moduleRef.close();
    }
  });

  it('isGlobal makes BudgetService injectable everywhere', async () => {
    @Injectable()
    class Consumer {
      constructor(readonly budgets: BudgetService) {}
    }
    @Module({ providers: [Consumer], exports: [Consumer] })
    class FeatureModule {}
    const moduleRef = await compile([TokenBudgetModule.forRoot({ isGlobal: true }), FeatureModule]);
    expect(moduleRef.get(Consumer).budgets).toBeInstanceOf(BudgetService);
    await moduleRef.close();
  });

  it('accepts the seed-style userBudget shorthand as a monthly user rule', async () => {
    const moduleRef = await compile([
      TokenBudgetModule.forRoot({ userBudget: { monthlyTokenLimit: 10_000, rollover: { enabled: true, maxCarryover: 5_000 } } }),
    ]);
    const [usage] = await moduleRef.get(BudgetService).getUsage('u');
    expect(usage).toMatchObject({ scope: 'user', name: 'user:month', limit: 10_000 });
    await moduleRef.close();
  });

  it.each([
    [{ budgets: [{ scope: 'user', tokens: '100' }] }, 'budgets[0].tokens: must be a non-negative integer'],
    [
      {
        budgets: [
          { scope: 'user', tokens: 1 },
          { scope: 'user', period: 'fortnight' },
        ],
      },
      'budgets[1].period: must be one of: minute, hour, day, week, month, lifetime',
    ],
    [{ budgets: [{ scope: 'org', tokens: 1 }] }, 'budgets[0].scope: must be one of: user, tenant, key, session, feature, global'],
    [
      { budgets: [{ scope: 'user', tokens: 1, timezone: 'Mars/Base' }] },
      "budgets[0].timezone: must be an IANA time zone such as 'UTC' or 'Europe/Paris'",
    ],
    [
      { budgets: [{ scope: 'user', tokens: 1, every: '15 minutes' }] },
      "budgets[0].every: must be a positive duration such as '30s', '15m', '6h' or '2d'",
    ],
    [
      { budgets: [{ scope: 'user', tokens: 1, rollover: { maxCarryover: -1 } }] },
      'budgets[0].rollover.maxCarryover: must be a non-negative integer',
    ],
    [
      {
        budgets: [
          { scope: 'user', tokens: 1 },
          { scope: 'user', tokens: 2 },
        ],
      },
      'budgets[1]: counts the same tokens as budgets[0]',
    ],
    [{ budgets: [{ scope: 'user', rollover: { enabled: true } }] }, 'budgets[0].rollover: needs a token limit'],
    [{ storage: { get: () => 1 } }, 'storage: must be a StorageAdapter'],
    [{ leaseMs: 0 }, 'leaseMs: must be at least 1 (ms)'],
    [{ failMode: 'maybe' }, "failMode: must be 'closed' or 'open'"],
    [{ budgetz: [] }, 'budgetz: is not a known option'],
    [{ userBudget: { monthlyTokenLimit: -3 } }, 'userBudget.monthlyTokenLimit: must be a non-negative integer'],
  ])('fails at boot on %j naming the field', async (options, line) => {
    await expect(compile([TokenBudgetModule.forRoot(options as never)])).rejects.toThrow(line);
  });

  it('reports every bad field, one line each', async () => {
    const failure = compile([
      TokenBudgetModule.forRoot({ keyPrefix: 'a b', budgets: [{ scope: 'user', tokens: -1 }], anonymous: 'yes' } as never),
    ]);
    await expect(failure).rejects.toThrow(
      /Invalid TokenBudgetModule options:\n {2}- keyPrefix: must not contain braces or whitespace\n {2}- budgets\[0\]\.tokens: must be a non-negative integer\n {2}- anonymous: must be 'reject' or 'allow'/,
    );
  });
});

/** A subclass that finds the user elsewhere: its hook must apply on decorated routes too. */
@Injectable()
class TenantHeaderGuard extends TokenBudgetGuard {
  protected override getUserId(req: { headers: Record<string, string> }) {
    return `alt-${req.headers['x-alt-user']}`;
  }
}

@Controller()
@UseGuards(TenantHeaderGuard)
class SubclassedGuardController {
  @Post('decorated')
  @TokenBudget({ feature: 'sub', estimate: 5 })
  decorated() {
    return { usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } };
  }

  @Post('plain')
  plain() {
    return { ok: true };
  }
}

describe('a TokenBudgetGuard subclass', () => {
  it('applies its hooks on decorated and plain routes', async () => {
    const t = await startApp('fastify', {
      imports: [TokenBudgetModule.forRoot({ budgets: [{ scope: 'user', tokens: 100 }], defaultEstimate: 2 })],
      controllers: [SubclassedGuardController],
    });
    try {
      expect((await post(`${t.url}/decorated`, {}, { 'x-alt-user': 'z' })).status).toBe(201);
      expect((await post(`${t.url}/plain`, {}, { 'x-alt-user': 'z' })).status).toBe(201);
      const budgets = t.app.get(BudgetService);
      await eventually(async () => (await budgets.getUsage('alt-z'))[0].reserved === 0);
      expect((await budgets.getUsage('alt-z'))[0]).toMatchObject({ used: 7 + 2 });
    } finally {
      await t.close();
    }
  });
});

/** A subclass whose estimate, skip and refusal hooks differ: the interceptor must reach all of them on a deferred route. */
@Injectable()
class QuotaGuard extends TokenBudgetGuard {
  protected override shouldSkip(context: ExecutionContext) {
    return context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-internal'] === '1';
  }
  protected override getEstimate() {
    return 60;
  }
  protected override reject(_req: unknown, _res: unknown, info: BudgetExceededInfo): never {
    throw new HttpException({ quota: 'spent', left: info.remaining }, 402);
  }
}

@Controller()
@UseGuards(QuotaGuard)
class QuotaController {
  @Post('quota')
  @TokenBudget({ feature: 'quota' })
  quota() {
    return { usage: { prompt_tokens: 30, completion_tokens: 30, total_tokens: 60 } };
  }
}

describe('a TokenBudgetGuard subclass on a deferred (@TokenBudget) route', () => {
  it("admits in the interceptor through the subclass's shouldSkip, getEstimate and reject", async () => {
    const t = await startApp('express', {
      imports: [TokenBudgetModule.forRoot({ budgets: [{ scope: 'user', tokens: 100 }], extractUserId: (req) => req.headers['x-user'] })],
      controllers: [QuotaController],
    });
    try {
      expect((await post(`${t.url}/quota`, {}, { 'x-user': 'q1' })).status).toBe(201);
      // the subclass's estimate (60) does not fit the 40 left: its own refusal, nothing held
      const refused = await post(`${t.url}/quota`, {}, { 'x-user': 'q1' });
      expect(refused.status).toBe(402);
      expect(refused.body).toEqual({ quota: 'spent', left: 40 });
      // skipped by the subclass: admitted without a hold, nothing counted
      expect((await post(`${t.url}/quota`, {}, { 'x-user': 'q1', 'x-internal': '1' })).status).toBe(201);
      expect((await t.app.get(BudgetService).getUsage('q1'))[0]).toMatchObject({ used: 60, reserved: 0 });
    } finally {
      await t.close();
    }
  });
});

@Controller()
class InterceptorOnlyController {
  @Post('solo')
  @TokenBudget({ tokens: 50, feature: 'solo', estimate: 30 })
  solo() {
    return { usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 } };
  }
}

describe('@TokenBudget on a route without TokenBudgetGuard', () => {
  it('still admits and commits through the interceptor', async () => {
    const t = await startApp('express', {
      imports: [TokenBudgetModule.forRoot({ extractUserId: (req) => req.headers['x-user'] })],
      controllers: [InterceptorOnlyController],
    });
    try {
      expect((await post(`${t.url}/solo`, {}, { 'x-user': 'i1' })).status).toBe(201);
      expect((await post(`${t.url}/solo`, {}, { 'x-user': 'i1' })).status).toBe(201);
      expect((await post(`${t.url}/solo`, {}, { 'x-user': 'i1' })).status).toBe(429);
      const usage = await t.app.get(BudgetService).getUsage({ user: 'i1', feature: 'solo' });
      expect(usage).toEqual([expect.objectContaining({ scope: 'user', feature: 'solo', limit: 50, used: 40, reserved: 0 })]);
    } finally {
      await t.close();
    }
  });
});

@Controller()
class BadRouteBudgetController {
  @Post('bad')
  @TokenBudget({ tokens: -1, period: 'fortnight' as never })
  bad() {
    return {};
  }
}

describe('@TokenBudget() options', () => {
  it('are validated at boot, naming the route', async () => {
    const boot = startApp('express', { imports: [TokenBudgetModule.forRoot({})], controllers: [BadRouteBudgetController] });
    await expect(boot).rejects.toThrow(
      /@TokenBudget\(\) of BadRouteBudgetController\.bad\.tokens: must be a non-negative integer\n {2}- @TokenBudget\(\) of BadRouteBudgetController\.bad\.period: must be one of/,
    );
  });
});

@Controller()
class SharedFeatureController {
  @Post('one')
  @TokenBudget({ tokens: 100, feature: 'shared' })
  one() {
    return {};
  }

  @Post('two')
  @TokenBudget({ tokens: 200, feature: 'shared' })
  two() {
    return {};
  }
}

describe('a route budget that repeats a module budget', () => {
  it('fails the boot instead of silently keeping one of the two limits', async () => {
    const module = TokenBudgetModule.forRoot({ budgets: [{ scope: 'user', feature: 'shared', tokens: 5_000 }] });
    await expect(startApp('express', { imports: [module], controllers: [SharedFeatureController] })).rejects.toThrow(
      "@TokenBudget() of SharedFeatureController.one: the module budget 'user:shared:month' already counts the same tokens",
    );
  });
});

describe('routes sharing a feature', () => {
  it('must agree on its budget (checked at boot)', async () => {
    await expect(startApp('express', { imports: [TokenBudgetModule.forRoot({})], controllers: [SharedFeatureController] })).rejects.toThrow(
      "@TokenBudget() of SharedFeatureController.two: feature 'shared' already has another route budget (100 tokens per month)",
    );
  });
});
