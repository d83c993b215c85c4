import { isRecord, itemsOf, loweredLimit, tokenCountOf } from './body-fields';
import { countContent } from './content-parts';
import { countDefinitions, REPLY_PRIMING_TOKENS, TOKENS_PER_MESSAGE } from './openai-chat';
import type { RequestShapeReader } from './request-shape-reader';

/**
 * OpenAI Responses (`POST /v1/responses`): `instructions` and `input` (a string, or items:
 * messages, function calls and their outputs), framed like chat messages.
 */
export const openAiResponses: RequestShapeReader<'openai-responses'> = {
  shape: 'openai-responses',
  matches: (body) => body.input !== undefined || typeof body.instructions === 'string',
  producesOutput: true,
  model: (body) => (typeof body.model === 'string' ? body.model : undefined),
  countPrompt(body, counter) {
    counter.add(REPLY_PRIMING_TOKENS);
    if (typeof body.instructions === 'string') {
      counter.add(TOKENS_PER_MESSAGE);
      counter.text('system');
      counter.text(body.instructions);
    }
    if (typeof body.input === 'string') {
      counter.add(TOKENS_PER_MESSAGE);
      counter.text('user');
      counter.text(body.input);
    }
    for (const item of itemsOf(body.input)) {
      if (typeof item === 'string') {
        counter.text(item);
        continue;
      }
      if (!isRecord(item)) continue;
      counter.add(TOKENS_PER_MESSAGE);
      counter.text(item.role);
      countContent(item.content, counter);
      counter.text(item.name);
      counter.text(item.arguments);
      countContent(item.output, counter);
    }
    countDefinitions(body.tools, counter);
  },
  maxOutput: (body) => tokenCountOf(body.max_output_tokens),
  writeMaxOutput(body, tokens) {
    body.max_output_tokens = loweredLimit(body.max_output_tokens, tokens);
  },
};
