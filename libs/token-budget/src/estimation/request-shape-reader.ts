import type { Json } from './body-fields';
import type { PromptCounter } from './prompt-counter';

/**
 * How one provider's request body is read: whether a body is its, its prompt, and the field that
 * bounds its output. The readers of `estimation/request-shapes.ts` are asked in their order.
 */
export interface RequestShapeReader<S extends string = string> {
  /** Name of the shape, reported as `RequestBodyEstimate.shape`. */
  shape: S;
  /** True when `body` is this provider's request (the first reader of the list that says so reads it). */
  matches(body: Json): boolean;
  /** False for calls that produce no output tokens (embeddings). */
  producesOutput: boolean;
  /** The model named by the body, if any. */
  model(body: Json): string | undefined;
  /** Counts the prompt of `body` into `counter`. */
  countPrompt(body: Json, counter: PromptCounter): void;
  /** The output limit the body asks for; `undefined` when it names none. */
  maxOutput(body: Json): number | undefined;
  /** Completions one request asks for (`n`, `candidateCount`), each bounded by the output limit; 1 when it sets none. */
  choices?(body: Json): number;
  /** Lowers the body's output limit to `tokens` (every such field it has, or the canonical one); a smaller limit is kept. */
  writeMaxOutput(body: Json, tokens: number): void;
}
