import { isOpenAiModel } from '../tokens/tokenizer';
import { choicesOf, isRecord, itemsOf, Json, jsonOf, largerCountOf, loweredLimit } from './body-fields';
import { countContent } from './content-parts';
import type { PromptCounter } from './prompt-counter';
import type { RequestShapeReader } from './request-shape-reader';

/** Framing of each message (`<|start|>{role}<|message|>...<|end|>`), as OpenAI's token-counting guide counts it. */
export const TOKENS_PER_MESSAGE = 3;
/** A message `name` costs one token beyond its text. */
export const TOKENS_PER_NAME = 1;
/** Every reply is primed with `<|start|>assistant<|message|>`. */
export const REPLY_PRIMING_TOKENS = 3;

/** Counts chat messages the way OpenAI's guide does, plus tool calls and content parts. */
export function countMessages(messages: unknown, counter: PromptCounter): void {
  counter.add(REPLY_PRIMING_TOKENS);
  for (const message of itemsOf(messages)) {
    if (!isRecord(message)) continue;
    counter.add(TOKENS_PER_MESSAGE);
    counter.text(message.role);
    countContent(message.content, counter);
    if (typeof message.name === 'string') {
      counter.text(message.name);
      counter.add(TOKENS_PER_NAME);
    }
    counter.text(message.tool_call_id);
    counter.text(message.refusal);
    for (const call of [...itemsOf(message.tool_calls), message.function_call]) {
      const fn = isRecord(call) ? (isRecord(call.function) ? call.function : call) : undefined;
      if (!fn) continue;
      counter.text(fn.name);
      counter.text(fn.arguments);
    }
  }
}

/**
 * Counts tool (and legacy function) definitions as their JSON text. OpenAI renders them into the
 * prompt in a denser form, so this errs a few tokens high, which is the safe side for a hold.
 */
export function countDefinitions(definitions: unknown, counter: PromptCounter): void {
  for (const definition of itemsOf(definitions)) counter.text(jsonOf(definition));
}

/** OpenAI Chat Completions (`POST /v1/chat/completions`), and the OpenAI-compatible APIs (Groq, Ollama `/v1`, ...). */
export const openAiChat: RequestShapeReader<'openai-chat'> = {
  shape: 'openai-chat',
  matches: (body) => Array.isArray(body.messages),
  producesOutput: true,
  model: (body) => (typeof body.model === 'string' ? body.model : undefined),
  countPrompt(body, counter) {
    countMessages(body.messages, counter);
    countDefinitions(body.tools, counter);
    countDefinitions(body.functions, counter);
    const format = body.response_format;
    if (isRecord(format) && format.json_schema !== undefined) counter.text(jsonOf(format.json_schema));
  },
  // OpenAI reads max_completion_tokens, some OpenAI-compatible servers only max_tokens: hold the larger
  maxOutput: (body) => largerCountOf(body.max_completion_tokens, body.max_tokens),
  // `n` completions, each up to the output limit
  choices: (body) => choicesOf(body.n),
  writeMaxOutput(body: Json, tokens: number) {
    const has = (field: string) => body[field] !== undefined && body[field] !== null;
    if (has('max_completion_tokens') || has('max_tokens')) {
      if (has('max_completion_tokens')) body.max_completion_tokens = loweredLimit(body.max_completion_tokens, tokens);
      if (has('max_tokens')) body.max_tokens = loweredLimit(body.max_tokens, tokens);
      return;
    }
    // OpenAI's reasoning models refuse max_tokens; OpenAI-compatible servers may not know max_completion_tokens
    if (isOpenAiModel(openAiChat.model(body))) body.max_completion_tokens = tokens;
    else body.max_tokens = tokens;
  },
};
