import { CallHandler, CanActivate, Controller, DynamicModule, ExecutionContext, Get, Injectable, Module, NestInterceptor, UseGuards, UseInterceptors } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { RedisAdapter, TierThrottlerGuard, TokenBudget, TokenBudgetGuard, TokenBudgetModule, TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { Observable } from 'rxjs';
import { BENCH_USER, VariantId } from './variants';

@Injectable()
export class NoopInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

@Injectable()
export class NoopGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Controller()
export class NoopGuardedController {
  @Get('/hello')
  @UseGuards(NoopGuard)
  @UseInterceptors(NoopInterceptor)
  hello() {
    return { ok: true };
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

@Module({})
export class BenchAppModule {}

/** Never reached during a run, so every request is counted and admitted: the cost of counting alone. */
const HOT_KEY_LIMIT = 1_000_000_000;
const WINDOW_MS = 60_000;

function tierOptions(redisUrl?: string): TokenBudgetModuleOptions {
  return {
    extractUserId: () => BENCH_USER,
    tiers: { definitions: { bench: { limit: HOT_KEY_LIMIT, ttl: WINDOW_MS } }, default: 'bench' },
    ...(redisUrl ? { storage: new RedisAdapter(redisUrl) } : {}),
  };
}

function budgetOptions(redisUrl?: string): TokenBudgetModuleOptions {
  return {
    budgets: [{ scope: 'user', period: 'month', tokens: 0 }],
    extractUserId: () => BENCH_USER,
    ...(redisUrl ? { storage: new RedisAdapter(redisUrl) } : {}),
  };
}

export function benchAppModule(variant: VariantId, redisUrl?: string): DynamicModule {
  switch (variant) {
    case 'a':
      return { module: BenchAppModule, controllers: [BareController] };
    case 'b':
      return { module: BenchAppModule, controllers: [NoopController], providers: [NoopInterceptor] };
    case 'c':
      return { module: BenchAppModule, imports: [TokenBudgetModule.forRoot(budgetOptions())], controllers: [BudgetedController] };
    case 'd':
      if (!redisUrl) throw new Error('variant d needs a Redis URL');
      return { module: BenchAppModule, imports: [TokenBudgetModule.forRoot(budgetOptions(redisUrl))], controllers: [BudgetedController] };
    case 'f':
      return { module: BenchAppModule, controllers: [NoopGuardedController], providers: [NoopInterceptor, NoopGuard] };
    case 'e':
      return { module: BenchAppModule, imports: [TokenBudgetModule.forRoot(budgetOptions())], controllers: [BareController] };
    case 'g':
      return {
        module: BenchAppModule,
        imports: [ThrottlerModule.forRoot({ throttlers: [{ limit: HOT_KEY_LIMIT, ttl: WINDOW_MS }], getTracker: () => BENCH_USER })],
        controllers: [ThrottledController],
      };
    case 'h':
      return { module: BenchAppModule, imports: [TokenBudgetModule.forRoot(tierOptions())], controllers: [TierThrottledController] };
    case 'i':
      if (!redisUrl) throw new Error('variant i needs a Redis URL');
      return { module: BenchAppModule, imports: [TokenBudgetModule.forRoot(tierOptions(redisUrl))], controllers: [TierThrottledController] };
  }
}
