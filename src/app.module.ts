import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { TokenBudgetModule, TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { API_KEYS, ApiKeyGuard } from './auth/api-key.guard';
import { DEMO_KEYS, GatewayUser } from './auth/api-keys';
import { GATEWAY_BUDGET_OPTIONS, GatewayConfigModule } from './config/gateway-config.module';
import { validateEnv } from './config/env.validation';
import { HealthController } from './health/health.controller';
import { ApiErrorFilter } from './proxy/api-error.filter';
import { PROXY_CONTROLLERS } from './proxy/proxy.controllers';
import { UPSTREAM_PROVIDERS } from './upstream/upstream.providers';

export { GATEWAY_TIERS, gatewayBudgets } from './config/budget-options';

/** Overrides for tests and embedding: replace the budget options or the key table. */
export interface GatewayModuleOptions {
  /**
   * Budget options in place of those from the environment (the demo tiers when they set none).
   * @default from TOKEN_BUDGET_CONFIG, else MONTHLY_TOKENS_PER_USER / DAILY_TOKENS_GLOBAL
   * @example { budgets: [{ scope: 'user', period: 'day', tokens: 10_000 }] }
   */
  budget?: TokenBudgetModuleOptions;
  /**
   * API keys and the user each one identifies.
   * @default the demo keys (sk-demo-alice, sk-demo-bob)
   * @example { 'sk-test': { id: 'test-user', tenantId: 'acme' } }
   */
  keys?: Readonly<Record<string, GatewayUser>>;
}

@Module({})
export class AppModule {
  static register(options: GatewayModuleOptions = {}): DynamicModule {
    const config = GatewayConfigModule.register(options.budget);
    const budgetModule = TokenBudgetModule.forRootAsync({ imports: [config], inject: [GATEWAY_BUDGET_OPTIONS], useFactory: (budget: TokenBudgetModuleOptions) => budget });
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot({ isGlobal: true, validate: validateEnv, ignoreEnvFile: true }), config, budgetModule],
      controllers: [...PROXY_CONTROLLERS, HealthController],
      providers: [
        ...UPSTREAM_PROVIDERS,
        ApiKeyGuard,
        { provide: API_KEYS, useValue: options.keys ?? DEMO_KEYS },
        { provide: APP_FILTER, useClass: ApiErrorFilter },
      ],
    };
  }
}
