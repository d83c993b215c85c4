import { itemsOf } from './body-fields';
import type { RequestShapeReader } from './request-shape';

/** OpenAI Embeddings (`POST /v1/embeddings`): `input` is a string, strings, or token arrays. Input only. */
export const openAiEmbeddings: RequestShapeReader = {
  shape: 'openai-embeddings',
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
