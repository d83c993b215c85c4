import { Body, Controller, DynamicModule, Get, HttpCode, HttpException, Inject, Module, Param, Post, UseGuards } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import type { Redis } from 'ioredis';
import {
  BudgetService,
  MemoryAdapter,
  RedisAdapter,
  TierThrottlerGuard,
  TokenBudget,
  TokenBudgetGuard,
  TokenBudgetModule,
  TokenBudgetModuleOptions,
} from 'nestjs-token-budget';

export interface CompatSettings {
  storage: 'memory' | 'redis';
  redisUrl?: string;
  upstreamUrl: string;
  keyPrefix: string;
}

/** The app's tokens per user per day. */
export const DAILY_TOKENS = 1_000;
/** Requests per minute of the `free` tier. */
export const TIER_LIMIT = 2;

interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  max_tokens?: number;
  stream?: boolean;
}

@Controller('v1')
@UseGuards(TokenBudgetGuard)
class ChatController {
  constructor(@Inject(ConfigService) private readonly config: ConfigService) {}

  /** Estimated from the body; commits the provider's usage, of the JSON answer or of the stream. */
  @Post('chat/completions')
  @HttpCode(200)
  @TokenBudget()
  async chat(@Body() body: ChatBody) {
    const upstream = await fetch(`${this.config.getOrThrow<string>('upstreamUrl')}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body.stream ? { ...body, stream_options: { include_usage: true } } : body),
    });
    if (!upstream.ok) throw new HttpException(await upstream.json(), upstream.status);
    return body.stream ? upstream : upstream.json();
  }
}

@Controller('tier')
@UseGuards(TierThrottlerGuard)
class TierController {
  @Get('ping')
  ping() {
    return { ok: true };
  }
}

@Controller('usage')
class UsageController {
  constructor(@Inject(BudgetService) private readonly budgets: BudgetService) {}

  @Get(':user')
  usage(@Param('user') user: string) {
    return this.budgets.getUsage({ user });
  }
}

/** The options a user's ConfigService would hold; `redis` is the client the app owns. */
function budgetOptions(config: ConfigService, redis: Redis | undefined): TokenBudgetModuleOptions {
  return {
    storage: redis ? new RedisAdapter(redis) : new MemoryAdapter(),
    keyPrefix: config.getOrThrow<string>('keyPrefix'),
    extractUserId: (req: { headers: Record<string, string | string[] | undefined> }) => req.headers['x-user'] as string | undefined,
    budgets: [{ scope: 'user', period: 'day', tokens: DAILY_TOKENS }],
    tiers: { definitions: { free: { limit: TIER_LIMIT, ttl: 60_000 } }, default: 'free' },
  };
}

/** The app module of one cell: @nestjs/config feeding TokenBudgetModule.forRootAsync. */
export function compatModule(settings: CompatSettings, redis?: Redis): DynamicModule {
  @Module({})
  class CompatAppModule {}
  return {
    module: CompatAppModule,
    imports: [
      ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ ...settings })] }),
      TokenBudgetModule.forRootAsync({
        imports: [ConfigModule],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => budgetOptions(config, redis),
      }),
    ],
    controllers: [ChatController, TierController, UsageController],
  };
}
