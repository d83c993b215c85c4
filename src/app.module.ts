import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { BudgetRule, MemoryAdapter, RedisAdapter, TierOptions, TokenBudgetModule, TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { API_KEYS, ApiKeyGuard } from './auth/api-key.guard';
import { DEMO_KEYS, GatewayUser } from './auth/api-keys';
import { ChatController } from './chat/chat.controller';
import { validateEnv } from './config/env.validation';
import { DashboardModule } from './dashboard/dashboard.module';
import { HealthController } from './health/health.controller';
import { GatewayLoggingModule, GatewayLoggingOptions } from './logging/logging.module';
import { BudgetMetricsListener } from './metrics/budget-metrics.listener';
import { GatewayMetrics } from './metrics/gateway-metrics';
import { instrumentStorage } from './metrics/instrumented-storage';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsModule } from './metrics/metrics.module';
import { RejectionFilter } from './metrics/rejection.filter';
import { MOCK_OUTPUT_TOKENS, MockUpstream } from './upstream/mock-upstream';

/**
 * Request rates of the demo keys: alice is on the free tier (the default), bob on pro. Over its
 * rate, a free request is served by a cheaper model; a pro request is refused with 429.
 */
export const GATEWAY_TIERS: TierOptions = {
  definitions: {
    free: { limit: 20, ttl: '1m', degradeTo: 'gpt-4o-mini' },
    pro: { limit: 200, ttl: '1m' },
  },
  default: 'free',
  assignments: { bob: 'pro' },
  enforce: 'degrade',
};

/** Budgets of the gateway, from the environment. */
export function gatewayBudgets(config: ConfigService): TokenBudgetModuleOptions {
  const budgets: BudgetRule[] = [
    { scope: 'user', period: 'month', tokens: config.get<number>('MONTHLY_TOKENS_PER_USER') ?? 100_000, rollover: { enabled: true, maxCarryover: 50_000 } },
    { scope: 'global', period: 'day', tokens: config.get<number>('DAILY_TOKENS_GLOBAL') ?? 0 },
    { scope: 'feature', period: 'month' }, // no limit: counts spend per route for the dashboard
  ];
  const redisUrl = config.get<string>('REDIS_URL');
  return { budgets, tiers: GATEWAY_TIERS, defaultMaxOutputTokens: MOCK_OUTPUT_TOKENS, ...(redisUrl ? { storage: new RedisAdapter(redisUrl) } : {}) };
}

/** Overrides for tests and embedding: replace the budget options or the key table. */
export interface GatewayModuleOptions {
  budget?: TokenBudgetModuleOptions;
  keys?: Readonly<Record<string, GatewayUser>>;
  /** Admin key of `/admin`; default `ADMIN_KEY`, else a random key. */
  adminKey?: string;
  /** Where the JSON logs go and from which level. Default: stdout, `info`. */
  log?: GatewayLoggingOptions;
}

/** The options with their storage (MemoryAdapter by default) timed and error-counted by the metrics. */
function instrumented(options: TokenBudgetModuleOptions, metrics: GatewayMetrics): TokenBudgetModuleOptions {
  return { ...options, storage: instrumentStorage(options.storage ?? new MemoryAdapter(), metrics) };
}

@Module({})
export class AppModule {
  static register(options: GatewayModuleOptions = {}): DynamicModule {
    const budget = options.budget;
    const budgetModule = budget
      ? TokenBudgetModule.forRootAsync({ isGlobal: true, inject: [GatewayMetrics], useFactory: (metrics: GatewayMetrics) => instrumented(budget, metrics) })
      : TokenBudgetModule.forRootAsync({
          isGlobal: true,
          imports: [ConfigModule],
          inject: [ConfigService, GatewayMetrics],
          useFactory: (config: ConfigService, metrics: GatewayMetrics) => instrumented(gatewayBudgets(config), metrics),
        });
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, validate: validateEnv, ignoreEnvFile: true }),
        MetricsModule,
        budgetModule,
        GatewayLoggingModule.forRoot(options.log),
        DashboardModule.forRoot({ adminKey: options.adminKey }),
      ],
      controllers: [ChatController, HealthController, MetricsController],
      providers: [
        { provide: MockUpstream, inject: [ConfigService], useFactory: (config: ConfigService) => new MockUpstream(config.get<number>('MOCK_STREAM_DELAY_MS') ?? 0) },
        ApiKeyGuard,
        { provide: API_KEYS, useValue: options.keys ?? DEMO_KEYS },
        BudgetMetricsListener,
        { provide: APP_FILTER, useClass: RejectionFilter },
      ],
    };
  }
}
