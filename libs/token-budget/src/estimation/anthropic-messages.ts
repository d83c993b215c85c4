import { isRecord, itemsOf, loweredLimit, tokenCountOf } from './body-fields';
import { countContent } from './content-parts';
import { countDefinitions, REPLY_PRIMING_TOKENS, TOKENS_PER_MESSAGE } from './openai-chat';
import type { RequestShapeReader } from './request-shape-reader';

/**
 * Tokens Anthropic adds to the prompt when a request has tools (its tool-use system prompt, about
 * 350 tokens on current Claude models).
 */
export const ANTHROPIC_TOOLS_PROMPT_TOKENS = 350;

/** Anthropic Messages (`POST /v1/messages`): `system`, `messages` with content blocks, `tools`. */
export const anthropicMessages: RequestShapeReader<'anthropic-messages'> = {
  shape: 'anthropic-messages',
  matches: (body) => Array.isArray(body.messages) && isAnthropicBody(body),
  producesOutput: true,
  model: (body) => (typeof body.model === 'string' ? body.model : undefined),
  countPrompt(body, counter) {
    counter.add(REPLY_PRIMING_TOKENS);
    countContent(body.system, counter);
    for (const message of itemsOf(body.messages)) {
      if (!isRecord(message)) continue;
      counter.add(TOKENS_PER_MESSAGE);
      counter.text(message.role);
      countContent(message.content, counter);
    }
    const tools = itemsOf(body.tools);
    if (tools.length) counter.add(ANTHROPIC_TOOLS_PROMPT_TOKENS);
    countDefinitions(tools, counter);
  },
  maxOutput: (body) => tokenCountOf(body.max_tokens),
  writeMaxOutput(body, tokens) {
    body.max_tokens = loweredLimit(body.max_tokens, tokens);
    lowerThinkingBudget(body, body.max_tokens as number);
  },
};

/** Smallest extended-thinking budget Anthropic accepts. */
export const MIN_THINKING_BUDGET_TOKENS = 1_024;

/**
 * Anthropic refuses a `thinking.budget_tokens` that is not below `max_tokens` (400), so a lowered
 * `max_tokens` lowers the thinking budget with it, or turns thinking off when no budget of at least
 * 1,024 tokens fits below it.
 */
function lowerThinkingBudget(body: Record<string, unknown>, maxTokens: number): void {
  const thinking = body.thinking;
  if (!isRecord(thinking) || thinking.type !== 'enabled') return;
  const budget = tokenCountOf(thinking.budget_tokens);
  if (budget === undefined || budget < maxTokens) return;
  body.thinking = maxTokens - 1 >= MIN_THINKING_BUDGET_TOKENS ? { ...thinking, budget_tokens: maxTokens - 1 } : { type: 'disabled' };
}

/** Whether a body with `messages` is Anthropic's rather than OpenAI's. */
export function isAnthropicBody(body: Record<string, unknown>): boolean {
  if (typeof body.model === 'string' && /^(anthropic[./])?claude/i.test(body.model)) return true;
  if (body.system !== undefined || body.anthropic_version !== undefined) return true;
  return itemsOf(body.tools).some((tool) => isRecord(tool) && tool.input_schema !== undefined);
}
