import { DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { withVirtualKeys } from '../keys/key-budgets';
import { GATEWAY_TIERS, gatewayBudgets } from './budget-options';

/** The budget options the gateway runs with, built once (the token budget module and the mock upstream read them). */
export const GATEWAY_BUDGET_OPTIONS = Symbol('GATEWAY_BUDGET_OPTIONS');

/** Provides {@link GATEWAY_BUDGET_OPTIONS}: `budget` when given (with the demo tiers when it has none: the routes rate-limit by tier), else from the environment; either way with the per-key budget rule and tiers read from the caller's key. */
@Module({})
export class GatewayConfigModule {
  static register(budget?: TokenBudgetModuleOptions): DynamicModule {
    return {
      module: GatewayConfigModule,
      providers: [
        budget
          ? { provide: GATEWAY_BUDGET_OPTIONS, useValue: withVirtualKeys({ ...budget, tiers: budget.tiers ?? GATEWAY_TIERS }) }
          : { provide: GATEWAY_BUDGET_OPTIONS, useFactory: (env: ConfigService) => withVirtualKeys(gatewayBudgets(env)), inject: [ConfigService] },
      ],
      exports: [GATEWAY_BUDGET_OPTIONS],
    };
  }
}
