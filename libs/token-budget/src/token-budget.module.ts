import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { BudgetService } from './budget.service';
import { resolveOptions } from './resolve-options';
import { RouteBudgetsExplorer } from './route-budgets.explorer';
import { MemoryAdapter } from './storage/memory.adapter';
import { StorageAdapter } from './storage/storage-adapter.interface';
import { TOKEN_BUDGET_OPTIONS } from './token-budget.constants';
import { TokenBudgetGuard } from './token-budget.guard';
import { TokenBudgetInterceptor } from './token-budget.interceptor';
import { TokenBudgetConfigurableModule, TOKEN_BUDGET_MODULE_OPTIONS } from './token-budget.module-definition';
import type { TokenBudgetModuleOptions } from './token-budget-options.interface';
import { TierResolver } from './tiers/tier.resolver';
import { TierThrottlerGuard } from './tiers/tier-throttler.guard';
import { TierThrottlerStorage } from './tiers/tier-throttler.storage';

/**
 * Token budgets for LLM-backed routes.
 *
 * @example
 * TokenBudgetModule.forRoot({ budgets: [{ scope: 'user', period: 'month', tokens: 100_000 }] })
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    RouteBudgetsExplorer,
    { provide: TOKEN_BUDGET_OPTIONS, useFactory: resolveOptions, inject: [TOKEN_BUDGET_MODULE_OPTIONS] },
    {
      provide: StorageAdapter,
      useFactory: (options: TokenBudgetModuleOptions) => options.storage ?? new MemoryAdapter(),
      inject: [TOKEN_BUDGET_OPTIONS],
    },
    BudgetService,
    TokenBudgetGuard,
    TokenBudgetInterceptor,
    TierResolver,
    TierThrottlerStorage,
    TierThrottlerGuard,
  ],
  exports: [BudgetService, StorageAdapter, TokenBudgetGuard, TokenBudgetInterceptor, TOKEN_BUDGET_OPTIONS, TierResolver, TierThrottlerStorage, TierThrottlerGuard],
})
export class TokenBudgetModule extends TokenBudgetConfigurableModule {}
