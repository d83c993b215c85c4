import { AnthropicProxyController } from './anthropic-proxy.controller';
import { BudgetController } from './budget.controller';
import { OpenAiProxyController } from './openai-proxy.controller';

/** The `/v1/*` routes of the gateway. */
export const PROXY_CONTROLLERS = [OpenAiProxyController, AnthropicProxyController, BudgetController];
