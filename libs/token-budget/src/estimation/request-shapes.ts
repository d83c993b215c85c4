import { anthropicMessages } from './anthropic-messages';
import { gemini } from './gemini';
import { openAiChat } from './openai-chat';
import { openAiEmbeddings } from './openai-embeddings';
import { openAiResponses } from './openai-responses';

/**
 * The request bodies the estimation reads, in the order they are asked (the first reader whose
 * `matches` takes a body reads it): Gemini `contents`, then `messages` (Anthropic's before OpenAI
 * chat's), then `input` (embeddings before Responses). Adding a provider is one file in
 * `estimation/` and one line here.
 */
export const REQUEST_SHAPE_READERS = [gemini, anthropicMessages, openAiChat, openAiEmbeddings, openAiResponses] as const;
