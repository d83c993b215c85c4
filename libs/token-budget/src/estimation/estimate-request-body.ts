import { isRecord, Json } from './body-fields';
import { PromptCounter } from './prompt-counter';
import type { RequestShape } from './request-shape';
import type { RequestShapeReader } from './request-shape-reader';
import { REQUEST_SHAPE_READERS } from './request-shapes';
import type { UsageEstimate } from './usage-estimate';

/** Output tokens assumed for a request whose body sets no output limit. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 1_024;

/** What {@link estimateRequestBody} reads from a provider request body. */
export interface RequestBodyEstimate extends UsageEstimate {
  /** Which provider request the body was read as. */
  shape: RequestShape;
  /** The output limit the body sets (`max_tokens`, ...); `undefined` when it sets none. */
  requestedOutputTokens: number | undefined;
  /**
   * Completions the body asks for (OpenAI chat `n`, Gemini `candidateCount`); `outputTokens`
   * holds the output limit for each.
   */
  choices: number;
}

/** Options of {@link estimateRequestBody}. */
export interface BodyEstimationOptions {
  /**
   * Output tokens assumed when the body sets no output limit.
   * @default 1024
   */
  defaultMaxOutputTokens?: number;
}

/** The reader of the provider shape `body` has, if any: the first of {@link REQUEST_SHAPE_READERS} that matches it. */
export function readerOf(body: unknown): RequestShapeReader<RequestShape> | undefined {
  if (!isRecord(body)) return undefined;
  for (const reader of REQUEST_SHAPE_READERS) if (reader.matches(body)) return reader;
  return undefined;
}

/**
 * Estimates a provider request from its body: prompt tokens (exact for OpenAI models, see
 * README "Estimation" for the rest) and the output limit it sets, else `defaultMaxOutputTokens`.
 * Reads OpenAI chat completions, responses and embeddings, Anthropic messages and Gemini
 * `generateContent` bodies; returns `undefined` for a body of none of these shapes.
 *
 * @example
 * @TokenBudget({ estimate: (req) => estimateRequestBody(req.body, { defaultMaxOutputTokens: 500 }) ?? 800 })
 */
export function estimateRequestBody(body: unknown, options: BodyEstimationOptions = {}): RequestBodyEstimate | undefined {
  const reader = readerOf(body);
  if (!reader) return undefined;
  const json = body as Json;
  const model = reader.model(json);
  const counter = new PromptCounter(model);
  reader.countPrompt(json, counter);
  const inputTokens = Math.min(counter.total, Number.MAX_SAFE_INTEGER);
  const requested = reader.producesOutput ? reader.maxOutput(json) : 0;
  const choices = reader.choices?.(json) ?? 1;
  const output = (requested ?? options.defaultMaxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS) * choices;
  return {
    shape: reader.shape,
    inputTokens,
    outputTokens: Math.min(output, Number.MAX_SAFE_INTEGER - inputTokens),
    ...(model !== undefined ? { model } : {}),
    requestedOutputTokens: requested,
    choices,
  };
}

/** Lowers the output limit of `body` so that all its completions together produce at most `totalOutput` tokens. */
export function writeOutputLimit(body: Record<string, unknown>, totalOutput: number, choices: number): void {
  readerOf(body)?.writeMaxOutput(body, Math.floor(totalOutput / choices));
}
