import { DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { withVirtualKeys } from '../keys/key-budgets';
import { gatewayRequestPolicy } from '../policy/policy-config';
import type { RequestPolicyOptions } from '../policy/request-policy';
import { REQUEST_POLICY, withRequestPolicy, type ResolvedRequestPolicy } from '../policy/resolved-policy';
import { GATEWAY_TIERS, gatewayBudgets } from './budget-options';

/** The budget options the gateway runs with, built once (the token budget module and the mock upstream read them). */
export const GATEWAY_BUDGET_OPTIONS = Symbol('GATEWAY_BUDGET_OPTIONS');

/**
 * Provides {@link GATEWAY_BUDGET_OPTIONS}: `budget` when given (with the demo tiers when it has none: the routes rate-limit by tier), else from the environment; either way with the per-key budget rule and tiers read from the caller's key.
 * Provides {@link REQUEST_POLICY} too (environment, config file section, then `requestPolicy`), and the budget options with what it needs (fees of priced tools, the unpriced models' price).
 */
@Module({})
export class GatewayConfigModule {
  static register(budget?: TokenBudgetModuleOptions, requestPolicy?: RequestPolicyOptions): DynamicModule {
    return {
      module: GatewayConfigModule,
      providers: [
        { provide: REQUEST_POLICY, useFactory: (env: ConfigService) => gatewayRequestPolicy(env, requestPolicy), inject: [ConfigService] },
        {
          provide: GATEWAY_BUDGET_OPTIONS,
          useFactory: (env: ConfigService, policy: ResolvedRequestPolicy) =>
            withRequestPolicy(withVirtualKeys(budget ? { ...budget, tiers: budget.tiers ?? GATEWAY_TIERS } : gatewayBudgets(env)), policy),
          inject: [ConfigService, REQUEST_POLICY],
        },
      ],
      exports: [GATEWAY_BUDGET_OPTIONS, REQUEST_POLICY],
    };
  }
}
