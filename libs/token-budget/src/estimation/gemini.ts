import { choicesOf, isRecord, itemsOf, Json, jsonOf, largerCountOf, loweredLimit } from './body-fields';
import { countDefinitions, REPLY_PRIMING_TOKENS, TOKENS_PER_MESSAGE } from './openai-chat';
import { IMAGE_TOKENS, MEDIA_TOKENS, PromptCounter } from './prompt-counter';
import type { RequestShapeReader } from './request-shape-reader';

/** A field by its JSON name or its proto name (the REST API accepts `systemInstruction` and `system_instruction`). */
const field = (object: Json, camel: string, snake: string): unknown => object[camel] ?? object[snake];

function countParts(content: unknown, counter: PromptCounter): void {
  if (typeof content === 'string') return counter.text(content);
  if (!isRecord(content)) return;
  for (const part of itemsOf(content.parts)) {
    if (!isRecord(part)) continue;
    counter.text(part.text);
    const media = field(part, 'inlineData', 'inline_data') ?? field(part, 'fileData', 'file_data');
    if (isRecord(media)) {
      const mime = field(media, 'mimeType', 'mime_type');
      counter.add(typeof mime === 'string' && mime.startsWith('image/') ? IMAGE_TOKENS : MEDIA_TOKENS);
    }
    for (const call of [field(part, 'functionCall', 'function_call'), field(part, 'functionResponse', 'function_response')]) {
      if (!isRecord(call)) continue;
      counter.text(call.name);
      counter.text(jsonOf(call.args ?? call.response));
    }
  }
}

const configOf = (body: Json): unknown => field(body, 'generationConfig', 'generation_config');

/**
 * Gemini (`models/{model}:generateContent`, REST, camelCase or snake_case names):
 * `systemInstruction`, `contents[].parts[]`, `tools[].functionDeclarations`,
 * `generationConfig.maxOutputTokens`. The model is in the URL, not the body, so it is counted with
 * the heuristic for non-OpenAI models.
 */
export const gemini: RequestShapeReader<'gemini'> = {
  shape: 'gemini',
  matches: (body) => Array.isArray(body.contents),
  producesOutput: true,
  model: (body) => (typeof body.model === 'string' ? body.model : undefined),
  countPrompt(body, counter) {
    counter.add(REPLY_PRIMING_TOKENS);
    countParts(field(body, 'systemInstruction', 'system_instruction'), counter);
    for (const content of itemsOf(body.contents)) {
      if (!isRecord(content)) continue;
      counter.add(TOKENS_PER_MESSAGE);
      counter.text(content.role);
      countParts(content, counter);
    }
    for (const tool of itemsOf(body.tools))
      if (isRecord(tool)) countDefinitions(field(tool, 'functionDeclarations', 'function_declarations'), counter);
  },
  maxOutput(body) {
    const config = configOf(body);
    return isRecord(config) ? largerCountOf(config.maxOutputTokens, config.max_output_tokens) : undefined;
  },
  choices(body) {
    const config = configOf(body);
    return isRecord(config) ? choicesOf(field(config, 'candidateCount', 'candidate_count')) : 1;
  },
  writeMaxOutput(body, tokens) {
    const config = configOf(body);
    if (!isRecord(config)) body.generationConfig = { maxOutputTokens: tokens };
    else {
      // both names lowered when both are set, so the one the server reads is capped
      if (config.max_output_tokens !== undefined) config.max_output_tokens = loweredLimit(config.max_output_tokens, tokens);
      if (config.maxOutputTokens !== undefined || config.max_output_tokens === undefined)
        config.maxOutputTokens = loweredLimit(config.maxOutputTokens, tokens);
    }
  },
};
