import type { Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { GATEWAY_BUDGET_OPTIONS } from '../config/gateway-config.module';
import { AnthropicHttpUpstream } from './anthropic-http-upstream';
import { MockUpstream } from './mock-upstream';
import { OpenAiHttpUpstream } from './openai-http-upstream';
import { ANTHROPIC_UPSTREAM, OPENAI_UPSTREAM } from './upstream';
import { upstreamLimitsOf } from './upstream-limits';

/** Each provider family goes to its `UPSTREAM_*_URL` when set, else to the built-in mock. */
export const UPSTREAM_PROVIDERS: Provider[] = [
  {
    provide: MockUpstream,
    useFactory: (budget: TokenBudgetModuleOptions, config: ConfigService) =>
      new MockUpstream(budget.pricing, config.get<number>('MOCK_STREAM_DELAY_MS') ?? 0),
    inject: [GATEWAY_BUDGET_OPTIONS, ConfigService],
  },
  {
    provide: OPENAI_UPSTREAM,
    useFactory: (config: ConfigService, mock: MockUpstream) => {
      const url = config.get<string>('UPSTREAM_OPENAI_URL');
      return url
        ? new OpenAiHttpUpstream(
            url,
            config.get<string>('OPENAI_API_KEY'),
            upstreamLimitsOf((name) => config.get(name)),
          )
        : mock;
    },
    inject: [ConfigService, MockUpstream],
  },
  {
    provide: ANTHROPIC_UPSTREAM,
    useFactory: (config: ConfigService, mock: MockUpstream) => {
      const url = config.get<string>('UPSTREAM_ANTHROPIC_URL');
      return url
        ? new AnthropicHttpUpstream(
            url,
            config.get<string>('ANTHROPIC_API_KEY'),
            upstreamLimitsOf((name) => config.get(name)),
          )
        : mock;
    },
    inject: [ConfigService, MockUpstream],
  },
];
