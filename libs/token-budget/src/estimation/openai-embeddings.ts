import { itemsOf, Json } from './body-fields';
import type { RequestShapeReader } from './request-shape-reader';

/** Whether a body with `input` asks for embeddings rather than a Responses call. */
function isEmbeddingsBody(body: Json): boolean {
  if (body.input === undefined) return false;
  if (typeof body.model === 'string' && /embed/i.test(body.model)) return true;
  if (body.dimensions !== undefined || body.encoding_format !== undefined) return true;
  const items = itemsOf(body.input);
  return items.length > 0 && (typeof items[0] === 'number' || Array.isArray(items[0]));
}

/** OpenAI Embeddings (`POST /v1/embeddings`): `input` is a string, strings, or token arrays. Input only. */
export const openAiEmbeddings: RequestShapeReader<'openai-embeddings'> = {
  shape: 'openai-embeddings',
  matches: isEmbeddingsBody,
  producesOutput: false,
  model: (body) => (typeof body.model === 'string' ? body.model : undefined),
  countPrompt(body, counter) {
    if (typeof body.input === 'string') return counter.text(body.input);
    const items = itemsOf(body.input);
    if (items.length && typeof items[0] === 'number') return counter.add(items.length); // one input given as tokens
    for (const item of items) {
      if (typeof item === 'string') counter.text(item);
      else if (Array.isArray(item)) counter.add(item.length);
    }
  },
  maxOutput: () => 0,
  writeMaxOutput: () => undefined,
};
