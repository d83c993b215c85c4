import { DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { GATEWAY_TIERS, gatewayBudgets } from './budget-options';

/** The budget options the gateway runs with, built once (the token budget module and the mock upstream read them). */
export const GATEWAY_BUDGET_OPTIONS = Symbol('GATEWAY_BUDGET_OPTIONS');

/** Provides {@link GATEWAY_BUDGET_OPTIONS}: `budget` when given (with the demo tiers when it has none: the routes rate-limit by tier), else from the environment. */
@Module({})
export class GatewayConfigModule {
  static register(budget?: TokenBudgetModuleOptions): DynamicModule {
    return {
      module: GatewayConfigModule,
      providers: [
        budget
          ? { provide: GATEWAY_BUDGET_OPTIONS, useValue: { ...budget, tiers: budget.tiers ?? GATEWAY_TIERS } }
          : { provide: GATEWAY_BUDGET_OPTIONS, useFactory: gatewayBudgets, inject: [ConfigService] },
      ],
      exports: [GATEWAY_BUDGET_OPTIONS],
    };
  }
}
