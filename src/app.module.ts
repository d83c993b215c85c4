import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { BudgetRule, RedisAdapter, TierOptions, TokenBudgetModule, TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { API_KEYS, ApiKeyGuard } from './auth/api-key.guard';
import { DEMO_KEYS, GatewayUser } from './auth/api-keys';
import { ChatController } from './chat/chat.controller';
import { validateEnv } from './config/env.validation';
import { HealthController } from './health/health.controller';
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
  ];
  const redisUrl = config.get<string>('REDIS_URL');
  return { budgets, tiers: GATEWAY_TIERS, defaultMaxOutputTokens: MOCK_OUTPUT_TOKENS, ...(redisUrl ? { storage: new RedisAdapter(redisUrl) } : {}) };
}

/** Overrides for tests and embedding: replace the budget options or the key table. */
export interface GatewayModuleOptions {
  budget?: TokenBudgetModuleOptions;
  keys?: Readonly<Record<string, GatewayUser>>;
}

@Module({})
export class AppModule {
  static register(options: GatewayModuleOptions = {}): DynamicModule {
    const budgetModule = options.budget
      ? TokenBudgetModule.forRoot(options.budget)
      : TokenBudgetModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: gatewayBudgets });
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot({ isGlobal: true, validate: validateEnv, ignoreEnvFile: true }), budgetModule],
      controllers: [ChatController, HealthController],
      providers: [MockUpstream, ApiKeyGuard, { provide: API_KEYS, useValue: options.keys ?? DEMO_KEYS }],
    };
  }
}
