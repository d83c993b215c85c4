import { isRecord, itemsOf, jsonOf, tokenCountOf } from './body-fields';
import { countDefinitions, REPLY_PRIMING_TOKENS, TOKENS_PER_MESSAGE } from './openai-chat';
import { IMAGE_TOKENS, MEDIA_TOKENS, PromptCounter } from './prompt-counter';
import type { RequestShapeReader } from './request-shape';

function countParts(content: unknown, counter: PromptCounter): void {
  if (typeof content === 'string') return counter.text(content);
  if (!isRecord(content)) return;
  for (const part of itemsOf(content.parts)) {
    if (!isRecord(part)) continue;
    counter.text(part.text);
    const media = isRecord(part.inlineData) ? part.inlineData : isRecord(part.fileData) ? part.fileData : undefined;
    if (media) counter.add(typeof media.mimeType === 'string' && media.mimeType.startsWith('image/') ? IMAGE_TOKENS : MEDIA_TOKENS);
    for (const call of [part.functionCall, part.functionResponse]) {
      if (!isRecord(call)) continue;
      counter.text(call.name);
      counter.text(jsonOf(call.args ?? call.response));
    }
  }
}

/**
 * Gemini (`models/{model}:generateContent`, REST): `systemInstruction`, `contents[].parts[]`,
 * `tools[].functionDeclarations`, `generationConfig.maxOutputTokens`. The model is in the URL,
 * not the body, so it is counted with the heuristic for non-OpenAI models.
 */
export const gemini: RequestShapeReader = {
  shape: 'gemini',
  producesOutput: true,
  model: (body) => (typeof body.model === 'string' ? body.model : undefined),
  countPrompt(body, counter) {
    counter.add(REPLY_PRIMING_TOKENS);
    countParts(body.systemInstruction, counter);
    for (const content of itemsOf(body.contents)) {
      if (!isRecord(content)) continue;
      counter.add(TOKENS_PER_MESSAGE);
      counter.text(content.role);
      countParts(content, counter);
    }
    for (const tool of itemsOf(body.tools)) if (isRecord(tool)) countDefinitions(tool.functionDeclarations, counter);
  },
  maxOutput: (body) => (isRecord(body.generationConfig) ? tokenCountOf(body.generationConfig.maxOutputTokens) : undefined),
  writeMaxOutput(body, tokens) {
    if (isRecord(body.generationConfig)) body.generationConfig.maxOutputTokens = tokens;
    else body.generationConfig = { maxOutputTokens: tokens };
  },
};
