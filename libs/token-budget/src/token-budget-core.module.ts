import { DynamicModule, Module, Provider } from '@nestjs/common';
import { resolveOptions } from './resolve-options';
import { MemoryAdapter } from './storage/memory.adapter';
import { StorageAdapter } from './storage/storage-adapter.interface';
import { TOKEN_BUDGET_OPTIONS } from './token-budget.constants';
import { TokenBudgetConfigurableModule, TOKEN_BUDGET_MODULE_OPTIONS } from './token-budget.module-definition';
import type { TokenBudgetModuleOptions } from './token-budget-options.interface';
import { TierThrottlerStorage } from './tiers/tier-throttler.storage';

/** The core's providers as the app-wide scope sees them (internal tokens, aliased back by TokenBudgetModule). */
export const SHARED_OPTIONS = Symbol('TOKEN_BUDGET:SHARED_OPTIONS');
export const SHARED_STORAGE = Symbol('TOKEN_BUDGET:SHARED_STORAGE');
export const SHARED_THROTTLER_STORAGE = Symbol('TOKEN_BUDGET:SHARED_THROTTLER_STORAGE');

const CORE_PROVIDERS: Provider[] = [
  { provide: TOKEN_BUDGET_OPTIONS, useFactory: resolveOptions, inject: [TOKEN_BUDGET_MODULE_OPTIONS] },
  {
    provide: StorageAdapter,
    useFactory: (options: TokenBudgetModuleOptions) => options.storage ?? new MemoryAdapter(),
    inject: [TOKEN_BUDGET_OPTIONS],
  },
  TierThrottlerStorage,
  { provide: SHARED_OPTIONS, useExisting: TOKEN_BUDGET_OPTIONS },
  { provide: SHARED_STORAGE, useExisting: StorageAdapter },
  { provide: SHARED_THROTTLER_STORAGE, useExisting: TierThrottlerStorage },
];

/**
 * The options, the storage adapter and the throttler storage, built once per `forRoot` /
 * `forRootAsync`. It is global but exports only internal tokens, so a module that imports the bare
 * `TokenBudgetModule` class (as `ThrottlerModule.forRootAsync({ imports: [TokenBudgetModule], ... })`
 * does) reaches the same storage as the configured module, while `isGlobal` still decides where the
 * rest (BudgetService, guards) can be injected.
 */
@Module({})
export class TokenBudgetCoreModule extends TokenBudgetConfigurableModule {
  static wrap(base: DynamicModule): DynamicModule {
    return {
      ...base,
      global: true,
      providers: [...(base.providers ?? []), ...CORE_PROVIDERS],
      exports: [SHARED_OPTIONS, SHARED_STORAGE, SHARED_THROTTLER_STORAGE],
    };
  }
}
