import {
  CallHandler,
  Controller,
  DynamicModule,
  ExecutionContext,
  Get,
  Inject,
  Injectable,
  Module,
  NestInterceptor,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import {
  BudgetRule,
  RedisAdapter,
  TierThrottlerGuard,
  TokenBudget,
  TokenBudgetGuard,
  TokenBudgetModule,
  TokenBudgetModuleOptions,
} from 'nestjs-token-budget';
import { Observable } from 'rxjs';
import { BENCH_TENANT, BENCH_USER, keyPrefix, VariantId } from './variants';

const UPSTREAM_URL = Symbol('UPSTREAM_URL');

@Injectable()
export class NoopInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

@Controller()
export class BareController {
  @Get('/hello')
  hello() {
    return { ok: true };
  }
}

@Controller()
export class NoopController {
  @Get('/hello')
  @UseInterceptors(NoopInterceptor)
  hello() {
    return { ok: true };
  }
}

@Controller()
export class BudgetedController {
  @Get('/hello')
  @UseGuards(TokenBudgetGuard)
  @TokenBudget({ estimate: 1 })
  hello() {
    return { ok: true };
  }
}

@Controller()
export class TieredBudgetedController {
  @Get('/hello')
  @UseGuards(TierThrottlerGuard, TokenBudgetGuard)
  @TokenBudget({ estimate: 1 })
  hello() {
    return { ok: true };
  }
}

@Controller()
export class ThrottledController {
  @Get('/hello')
  @UseGuards(ThrottlerGuard)
  hello() {
    return { ok: true };
  }
}

@Controller()
export class TierThrottledController {
  @Get('/hello')
  @UseGuards(TierThrottlerGuard)
  hello() {
    return { ok: true };
  }
}

/** Answers with what the mock upstream answered (an OpenAI chat completion, usage included). */
async function callUpstream(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`mock upstream answered ${response.status}`);
  return response.json();
}

@Controller()
export class UpstreamController {
  constructor(@Inject(UPSTREAM_URL) private readonly upstream: string) {}

  @Get('/hello')
  hello() {
    return callUpstream(this.upstream);
  }
}

@Controller()
export class BudgetedUpstreamController {
  constructor(@Inject(UPSTREAM_URL) private readonly upstream: string) {}

  @Get('/hello')
  @UseGuards(TokenBudgetGuard)
  @TokenBudget({ estimate: 1 })
  hello() {
    return callUpstream(this.upstream);
  }
}

@Module({})
export class BenchAppModule {}

/** Never reached during a run, so every request is counted and admitted: the cost of counting alone. */
const NEVER_REACHED = 1_000_000_000_000;
const WINDOW_MS = 60_000;

export interface BenchTargets {
  redisUrl?: string;
  upstreamUrl?: string;
}

function options(variant: VariantId, targets: BenchTargets, extra: Partial<TokenBudgetModuleOptions>): TokenBudgetModuleOptions {
  return {
    keyPrefix: keyPrefix(variant),
    extractUserId: () => BENCH_USER,
    ...(targets.redisUrl ? { storage: new RedisAdapter(targets.redisUrl) } : {}),
    ...extra,
  };
}

const USER_BUDGET: BudgetRule = { scope: 'user', period: 'month', tokens: NEVER_REACHED };
const MULTI_SCOPE: BudgetRule[] = [
  USER_BUDGET,
  { scope: 'tenant', id: () => BENCH_TENANT, period: 'month', tokens: NEVER_REACHED },
  { scope: 'global', period: 'month', tokens: NEVER_REACHED },
];
const TIERS: TokenBudgetModuleOptions['tiers'] = { definitions: { bench: { limit: 1_000_000_000, ttl: WINDOW_MS } }, default: 'bench' };

function need(value: string | undefined, what: string, variant: VariantId): string {
  if (!value) throw new Error(`variant ${variant} needs ${what}`);
  return value;
}

export function benchAppModule(variant: VariantId, targets: BenchTargets): DynamicModule {
  const app = (controller: DynamicModule['controllers'], more: Partial<DynamicModule> = {}): DynamicModule => ({
    module: BenchAppModule,
    controllers: controller,
    ...more,
  });
  const budget = (extra: Partial<TokenBudgetModuleOptions>) => TokenBudgetModule.forRoot(options(variant, targets, extra));
  switch (variant) {
    case 'a':
      return app([BareController]);
    case 'a2':
      return app([NoopController], { providers: [NoopInterceptor] });
    case 'b':
      return app([ThrottledController], {
        imports: [ThrottlerModule.forRoot({ throttlers: [{ limit: 1_000_000_000, ttl: WINDOW_MS }], getTracker: () => BENCH_USER })],
      });
    case 'c':
      return app([BudgetedController], { imports: [budget({ budgets: [USER_BUDGET] })] });
    case 'd':
      need(targets.redisUrl, 'a Redis URL', variant);
      return app([BudgetedController], { imports: [budget({ budgets: [USER_BUDGET] })] });
    case 'e':
      need(targets.redisUrl, 'a Redis URL', variant);
      return app([TieredBudgetedController], { imports: [budget({ budgets: [USER_BUDGET], tiers: TIERS })] });
    case 'f':
      need(targets.redisUrl, 'a Redis URL', variant);
      return app([BudgetedController], { imports: [budget({ budgets: MULTI_SCOPE })] });
    case 'g0':
      return app([UpstreamController], {
        providers: [{ provide: UPSTREAM_URL, useValue: need(targets.upstreamUrl, 'the mock upstream URL', variant) }],
      });
    case 'g':
      need(targets.redisUrl, 'a Redis URL', variant);
      return app([BudgetedUpstreamController], {
        imports: [budget({ budgets: [USER_BUDGET] })],
        providers: [{ provide: UPSTREAM_URL, useValue: need(targets.upstreamUrl, 'the mock upstream URL', variant) }],
      });
    case 'm':
      return app([BareController], { imports: [budget({ budgets: [USER_BUDGET] })] });
    case 't':
      return app([TierThrottledController], { imports: [budget({ tiers: TIERS })] });
    case 'tr':
      need(targets.redisUrl, 'a Redis URL', variant);
      return app([TierThrottledController], { imports: [budget({ tiers: TIERS })] });
  }
}
