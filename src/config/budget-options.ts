import { ConfigService } from '@nestjs/config';
import { BudgetRule, MemoryAdapter, RedisAdapter, TierOptions, TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { readGatewayConfigFile } from '../policy/policy-config';
import { MOCK_OUTPUT_TOKENS } from '../upstream/mock-upstream';

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

/**
 * Fair holds: a call asking for more output than its user should hold (an SDK default such as
 * @ai-sdk/anthropic's 64,000 `max_tokens`) is served with its output lowered to a quarter of what
 * the user has left (never below 256 tokens), instead of being refused or taking the whole budget.
 * A config file's own `fairHolds` wins.
 */
export const FAIR_HOLDS = { share: 0.25, minOutputTokens: 256 } as const;

/**
 * Budgets of the gateway: the `TOKEN_BUDGET_CONFIG` file when set (its tiers too; the demo tiers
 * when it has none), else `MONTHLY_TOKENS_PER_USER` / `DAILY_TOKENS_GLOBAL`. Storage: Redis at
 * `REDIS_URL`, else in memory. A bad file throws naming the file, line and problem.
 */
export function gatewayBudgets(config: ConfigService): TokenBudgetModuleOptions {
  const file = config.get<string>('TOKEN_BUDGET_CONFIG');
  const options = file ? readGatewayConfigFile(file).options : undefined;
  const redisUrl = config.get<string>('REDIS_URL');
  const storage = redisUrl ? new RedisAdapter(redisUrl) : new MemoryAdapter();
  if (options)
    return {
      defaultMaxOutputTokens: MOCK_OUTPUT_TOKENS,
      fairHolds: FAIR_HOLDS,
      ...options,
      tiers: options.tiers ?? GATEWAY_TIERS,
      storage,
    };
  const monthly = config.get<number>('MONTHLY_TOKENS_PER_USER') ?? 100_000;
  const budgets: BudgetRule[] = [
    // 0 = unlimited (counted, never refused); rollover carries unused tokens of a limit, so only with one
    { scope: 'user', period: 'month', tokens: monthly, ...(monthly > 0 ? { rollover: { enabled: true, maxCarryover: 50_000 } } : {}) },
    { scope: 'global', period: 'day', tokens: config.get<number>('DAILY_TOKENS_GLOBAL') ?? 0 },
    { scope: 'feature', period: 'month' }, // no limit: counts spend per route for the dashboard
  ];
  return { budgets, tiers: GATEWAY_TIERS, defaultMaxOutputTokens: MOCK_OUTPUT_TOKENS, fairHolds: FAIR_HOLDS, storage };
}
