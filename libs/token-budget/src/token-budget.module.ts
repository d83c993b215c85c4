import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { BudgetService } from './budget.service';
import { RouteBudgetsExplorer } from './route-budgets.explorer';
import { StorageAdapter } from './storage/storage-adapter.interface';
import { TOKEN_BUDGET_OPTIONS } from './token-budget.constants';
import { TokenBudgetGuard } from './token-budget.guard';
import { TokenBudgetInterceptor } from './token-budget.interceptor';
import { SHARED_OPTIONS, SHARED_STORAGE, SHARED_THROTTLER_STORAGE, TokenBudgetCoreModule } from './token-budget-core.module';
import { TOKEN_BUDGET_ASYNC_OPTIONS_TYPE, TOKEN_BUDGET_OPTIONS_TYPE } from './token-budget.module-definition';
import { TierResolver } from './tiers/tier.resolver';
import { TierThrottlerGuard } from './tiers/tier-throttler.guard';
import { TierThrottlerStorage } from './tiers/tier-throttler.storage';

/**
 * Token budgets for LLM-backed routes.
 *
 * `forRoot` / `forRootAsync` configure it once; importing the bare class elsewhere (for instance in
 * `ThrottlerModule.forRootAsync({ imports: [TokenBudgetModule], inject: [TierThrottlerStorage] })`)
 * gives that module's storage adapter, options and `TierThrottlerStorage`.
 *
 * @example
 * TokenBudgetModule.forRoot({ budgets: [{ scope: 'user', period: 'month', tokens: 100_000 }] })
 */
@Module({
  providers: [
    { provide: TOKEN_BUDGET_OPTIONS, useExisting: SHARED_OPTIONS },
    { provide: StorageAdapter, useExisting: SHARED_STORAGE },
    { provide: TierThrottlerStorage, useExisting: SHARED_THROTTLER_STORAGE },
  ],
  exports: [StorageAdapter, TOKEN_BUDGET_OPTIONS, TierThrottlerStorage],
})
export class TokenBudgetModule {
  /** The module with options known at boot. */
  static forRoot(options: typeof TOKEN_BUDGET_OPTIONS_TYPE): DynamicModule {
    return TokenBudgetModule.configured(TokenBudgetCoreModule.forRoot(options), options.isGlobal);
  }

  /** The module with options from a factory, class or existing provider (e.g. `ConfigService`). */
  static forRootAsync(options: typeof TOKEN_BUDGET_ASYNC_OPTIONS_TYPE): DynamicModule {
    return TokenBudgetModule.configured(TokenBudgetCoreModule.forRootAsync(options), options.isGlobal);
  }

  private static configured(core: DynamicModule, isGlobal: boolean | undefined): DynamicModule {
    return {
      module: TokenBudgetModule,
      global: isGlobal ?? false,
      imports: [DiscoveryModule, TokenBudgetCoreModule.wrap(core)],
      providers: [RouteBudgetsExplorer, BudgetService, TokenBudgetGuard, TokenBudgetInterceptor, TierResolver, TierThrottlerGuard],
      exports: [BudgetService, TokenBudgetGuard, TokenBudgetInterceptor, TierResolver, TierThrottlerGuard],
    };
  }
}
