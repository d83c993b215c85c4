import { AnthropicProxyController } from './anthropic-proxy.controller';
import { BudgetController } from './budget.controller';
import { CountTokensController } from './count-tokens.controller';
import { ModelsController } from './models.controller';
import { OpenAiProxyController } from './openai-proxy.controller';

/** The `/v1/*` routes of the gateway. */
export const PROXY_CONTROLLERS = [
  OpenAiProxyController,
  CountTokensController,
  AnthropicProxyController,
  BudgetController,
  ModelsController,
];
