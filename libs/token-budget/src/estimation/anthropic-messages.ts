import { isRecord, itemsOf, loweredLimit, tokenCountOf } from './body-fields';
import { countContent } from './content-parts';
import { countDefinitions, REPLY_PRIMING_TOKENS, TOKENS_PER_MESSAGE } from './openai-chat';
import type { RequestShapeReader } from './request-shape';

/**
 * Tokens Anthropic adds to the prompt when a request has tools (its tool-use system prompt, about
 * 350 tokens on current Claude models).
 */
export const ANTHROPIC_TOOLS_PROMPT_TOKENS = 350;

/** Anthropic Messages (`POST /v1/messages`): `system`, `messages` with content blocks, `tools`. */
export const anthropicMessages: RequestShapeReader = {
  shape: 'anthropic-messages',
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
  },
};

/** Whether a body with `messages` is Anthropic's rather than OpenAI's. */
export function isAnthropicBody(body: Record<string, unknown>): boolean {
  if (typeof body.model === 'string' && /^(anthropic[./])?claude/i.test(body.model)) return true;
  if (body.system !== undefined || body.anthropic_version !== undefined) return true;
  return itemsOf(body.tools).some((tool) => isRecord(tool) && tool.input_schema !== undefined);
}
