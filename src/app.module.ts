import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { BudgetRule, RedisAdapter, TierOptions, TokenBudgetModule, TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { ADMIN_CONTROLLERS, ADMIN_PROVIDERS } from './admin/admin-providers';
import { ChatController } from './chat/chat.controller';
import { validateEnv } from './config/env.validation';
import { HealthController } from './health/health.controller';
import { DEMO_KEYS } from './keys/demo-keys';
import { withVirtualKeys } from './keys/key-budgets';
import { keyProviders } from './keys/key-providers';
import type { KeySeed } from './keys/key-seed';
import type { KeyStore } from './keys/key-store';
import { MOCK_OUTPUT_TOKENS, MockUpstream } from './upstream/mock-upstream';

/**
 * Request rates by tier; a key's tier comes with it (the demo keys: alice free, bob pro). Over its
 * rate, a free request is served by a cheaper model; a pro request is refused with 429.
 */
export const GATEWAY_TIERS: TierOptions = {
  definitions: {
    free: { limit: 20, ttl: '1m', degradeTo: 'gpt-4o-mini' },
    pro: { limit: 200, ttl: '1m' },
  },
  default: 'free',
  enforce: 'degrade',
};

/** Budgets of the gateway, from the environment. */
export function gatewayBudgets(config: ConfigService): TokenBudgetModuleOptions {
  const budgets: BudgetRule[] = [
    { scope: 'user', period: 'month', tokens: config.get<number>('MONTHLY_TOKENS_PER_USER') ?? 100_000, rollover: { enabled: true, maxCarryover: 50_000 } },
    { scope: 'global', period: 'day', tokens: config.get<number>('DAILY_TOKENS_GLOBAL') ?? 0 },
  ];
  const redisUrl = config.get<string>('REDIS_URL');
  return withVirtualKeys({ budgets, tiers: GATEWAY_TIERS, defaultMaxOutputTokens: MOCK_OUTPUT_TOKENS, ...(redisUrl ? { storage: new RedisAdapter(redisUrl) } : {}) });
}

/** Overrides for tests and embedding: replace the budget options, the keys seeded at boot or the key store. */
export interface GatewayModuleOptions {
  budget?: TokenBudgetModuleOptions;
  /** Plain key -> user, seeded (hashed) into the key store at boot. Default: the demo keys. */
  keys?: Readonly<Record<string, KeySeed>>;
  /** Default: RedisKeyStore when REDIS_URL is set, else MemoryKeyStore. */
  keyStore?: KeyStore;
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
      controllers: [ChatController, HealthController, ...ADMIN_CONTROLLERS],
      providers: [MockUpstream, ...keyProviders(options.keys ?? DEMO_KEYS, options.keyStore), ...ADMIN_PROVIDERS],
    };
  }
}
