import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { MemoryAdapter, TokenBudgetModule, TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { ADMIN_CONTROLLERS, adminProviders } from './admin/admin-providers';
import { GATEWAY_BUDGET_OPTIONS, GatewayConfigModule } from './config/gateway-config.module';
import { validateEnv } from './config/env.validation';
import { DashboardController } from './dashboard/dashboard.controller';
import { DashboardSummaryService } from './dashboard/dashboard-summary';
import { HealthController } from './health/health.controller';
import { keyProviders } from './keys/key-providers';
import type { KeySeed } from './keys/key-seed';
import type { KeyStore } from './keys/key-store';
import { GatewayLoggingModule, GatewayLoggingOptions } from './logging/logging.module';
import { BudgetMetricsListener } from './metrics/budget-metrics.listener';
import { GatewayMetrics } from './metrics/gateway-metrics';
import { instrumentStorage } from './metrics/instrumented-storage';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsModule } from './metrics/metrics.module';
import type { RequestPolicyOptions } from './policy/request-policy';
import { ApiErrorFilter } from './proxy/api-error.filter';
import { PROXY_CONTROLLERS } from './proxy/proxy.controllers';
import { NoPoweredBy } from './security/no-powered-by';
import { UPSTREAM_PROVIDERS } from './upstream/upstream.providers';

export { GATEWAY_TIERS, gatewayBudgets } from './config/budget-options';

/** Overrides for tests and embedding: replace the budget options, the keys seeded at boot or the key store. */
export interface GatewayModuleOptions {
  /**
   * Budget options in place of those from the environment (the demo tiers when they set none;
   * the per-key budget rule and tiers read from the caller's key are added either way).
   * @default from TOKEN_BUDGET_CONFIG, else MONTHLY_TOKENS_PER_USER / DAILY_TOKENS_GLOBAL
   * @example { budgets: [{ scope: 'user', period: 'day', tokens: 10_000 }] }
   */
  budget?: TokenBudgetModuleOptions;
  /**
   * Plain API keys and the user each one identifies, seeded (hashed) into the key store at boot.
   * @default the demo keys (sk-demo-alice on the free tier, sk-demo-bob on pro) when every upstream
   * is the built-in mock or `DEMO_KEYS=1`; else none
   * @example { 'sk-test': { id: 'test-user', tenantId: 'acme', tier: 'pro' } }
   */
  keys?: Readonly<Record<string, KeySeed>>;
  /**
   * Where virtual keys are kept.
   * @default RedisKeyStore when REDIS_URL is set, else MemoryKeyStore
   */
  keyStore?: KeyStore;
  /**
   * Key of the admin API and the `/admin` dashboard.
   * @default the ADMIN_KEY variable; else, with the built-in mock only, a random key (a real upstream and no key stops the boot)
   */
  adminKey?: string;
  /**
   * Where the JSON logs go and from which level.
   * @default stdout, LOG_LEVEL else 'info'
   */
  log?: GatewayLoggingOptions;
  /**
   * Which body fields, server tools and beta flags go upstream, and what to do with models the
   * gateway cannot price (see the README's "Request policy"); over the environment's and the
   * config file's `requestPolicy` section, field by field.
   * @default background, stored-object references, server tools and unknown betas refused; unpriced models refused on a paid upstream under a cost budget
   * @example { routes: { responses: { tools: { web_search: 0.01 } } }, unpricedModels: { input: 5, output: 15 } }
   */
  requestPolicy?: RequestPolicyOptions;
}

/** The options with their storage (MemoryAdapter by default) timed and error-counted by the metrics. */
function instrumented(options: TokenBudgetModuleOptions, metrics: GatewayMetrics): TokenBudgetModuleOptions {
  return { ...options, storage: instrumentStorage(options.storage ?? new MemoryAdapter(), metrics) };
}

@Module({})
export class AppModule {
  static register(options: GatewayModuleOptions = {}): DynamicModule {
    const config = GatewayConfigModule.register(options.budget, options.requestPolicy);
    const budgetModule = TokenBudgetModule.forRootAsync({
      isGlobal: true,
      imports: [config],
      inject: [GATEWAY_BUDGET_OPTIONS, GatewayMetrics],
      useFactory: (budget: TokenBudgetModuleOptions, metrics: GatewayMetrics) => instrumented(budget, metrics),
    });
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, validate: validateEnv, ignoreEnvFile: true }),
        MetricsModule,
        config,
        budgetModule,
        GatewayLoggingModule.forRoot(options.log),
      ],
      controllers: [...PROXY_CONTROLLERS, HealthController, ...ADMIN_CONTROLLERS, DashboardController, MetricsController],
      providers: [
        NoPoweredBy,
        ...UPSTREAM_PROVIDERS,
        ...keyProviders(options.keys, options.keyStore),
        ...adminProviders(options.adminKey),
        DashboardSummaryService,
        BudgetMetricsListener,
        { provide: APP_FILTER, useClass: ApiErrorFilter },
      ],
    };
  }
}
