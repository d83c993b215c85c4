import type { REQUEST_SHAPE_READERS } from './request-shapes';

/** Request bodies the built-in estimation reads (`'openai-chat' | 'openai-responses' | 'openai-embeddings' | 'anthropic-messages' | 'gemini'`). */
export type RequestShape = (typeof REQUEST_SHAPE_READERS)[number]['shape'];
