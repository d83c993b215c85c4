import type { UnknownRecord } from './usage-fields';
import type { UsageReading } from './usage-reading';

/**
 * What a provider's stream grammar writes to while one stream is read (the stream's
 * {@link StreamUsageAccumulator} implements it). Every method takes untrusted values and never throws.
 */
export interface StreamTally {
  /** Notes streamed text (content, reasoning, tool-call arguments): counted when the stream reports no usage. */
  text(value: unknown): void;
  /** Notes the model the stream names; the first string kept. */
  model(value: unknown): void;
  /** Marks that the stream showed a provider event (a stream showing none is charged the estimate). */
  recognise(): void;
  /**
   * Reports the usage an event carries. `final` for the provider's last word on the call, `false`
   * for a running total that a cut stream may have outgrown; `from` is the reader whose grammar
   * read it (none for a chunk read as a plain result). A later usage replaces an earlier one (never
   * added); a `malformed` reading is noted and never replaces good figures; `none` is ignored.
   * Once a reader keeps state for the stream ({@link setState}), only its own reports count.
   */
  report(reading: UsageReading, final: boolean, from?: UsageReader): void;
  /** Reads `result` as a plain result (the whole list of readers), e.g. the response a terminal event wraps. */
  readResult(result: unknown): UsageReading;
  /** Scratch state of `owner` for this stream (`undefined` until it sets some, or when another reader owns it). */
  stateOf(owner: UsageReader): unknown;
  /** Sets the scratch state of `owner` for this stream; `owner` then owns its usage, which starts over. */
  setState(owner: UsageReader, state: unknown): void;
}

/**
 * One provider's usage knowledge: its plain result and its stream events. The readers of
 * `usage/providers.ts` are asked in their fixed order.
 *
 * Plain results: the first reader that {@link claims} a result reads it with {@link fromResult}.
 * Streams: each parsed event is offered to {@link readStreamEvent} in turn until one takes it as
 * its own (typed grammars: Anthropic, Responses). An event no reader takes is a chunk (OpenAI chat,
 * Gemini, Ollama): each reader has noted its own text, and its usage is read as a plain result,
 * final unless a claimer streams running totals ({@link runningTotals}).
 */
export interface UsageReader {
  /** Provider name, for tests and logs. */
  readonly provider: string;
  /** True when `result` carries this provider's usage fields (shape only, not their validity). Never throws. */
  claims(result: unknown): boolean;
  /** Reads the usage of a result this reader claims. Never throws. */
  fromResult(result: unknown): UsageReading;
  /** The result a wrapper (a terminal stream event) carries, read in its place; `undefined` when `result` wraps none. */
  unwrap?(result: unknown): unknown;
  /** True when the usage this provider streams is a running total (Gemini `usageMetadata`), never final before the end. */
  readonly runningTotals?: boolean;
  /**
   * Reads one parsed stream event into `stream`: notes its text and model, reports its usage.
   * Returns true when the event is this provider's alone (no later reader is asked). Never throws.
   */
  readStreamEvent(event: UnknownRecord, stream: StreamTally): boolean;
}
