import { readStreamEvent } from './providers';
import { StreamTallyState } from './stream-tally';
import { Usage } from './usage.interface';
import { isRecord } from './usage-fields';

/** Where a stream stands when its usage is asked for. */
export type StreamEnd = 'complete' | 'interrupted';

/**
 * Reads the usage of one streamed LLM call from its parsed events, whatever the provider: each
 * event goes to the stream grammars of `usage/providers.ts` (OpenAI chat and Groq chunks, OpenAI
 * Responses events, Anthropic `message_start` / `message_delta`, Gemini running totals, Ollama's
 * final line; each provider's rules are in its own file).
 *
 * Streamed text (content, reasoning and tool-call argument deltas) is kept too, so a stream that
 * carries no usage, or stops before its usage arrives, is counted with the tokenizer
 * (`estimated: true`). An event with a malformed usage field is skipped (its reason kept in
 * `malformed`); it never replaces good figures. Never throws.
 */
export class StreamUsageAccumulator {
  private readonly tally = new StreamTallyState();

  /** Reason of the first malformed usage seen, if any. */
  get malformed(): string | undefined {
    return this.tally.malformed;
  }

  /** Feeds one parsed stream event (a chunk object). Anything else is ignored. */
  push(event: unknown): void {
    if (!isRecord(event)) return;
    try {
      readStreamEvent(event, this.tally);
    } catch {
      // an event whose getters throw is skipped like any unknown event
    }
  }

  /** True once any event looked like a provider event (text or usage). */
  get sawProviderEvents(): boolean {
    return this.tally.recognised;
  }

  /**
   * Streamed text not yet counted: the last 16,384 characters or fewer. Text before it is counted
   * and dropped, so a stream of any length holds a bounded amount of text.
   */
  get text(): string {
    return this.tally.pieces.join('');
  }

  /** Output tokens of the text streamed so far, counted incrementally (cheap to call per event). */
  countedOutputTokens(): number {
    return this.tally.countedOutputTokens();
  }

  /** Input tokens the provider reported so far, if any. */
  reportedInputTokens(): number | undefined {
    return this.tally.reading?.inputTokens;
  }

  /**
   * The usage to commit. A complete stream (or one whose final usage arrived) gives the provider's
   * own figures; otherwise input comes from the usage seen so far (else `inputEstimate`) and output
   * is the larger of the reported running total and the tokens of the streamed text, marked
   * `estimated: true`. `undefined` when the stream showed nothing a provider sends.
   */
  usage(end: StreamEnd, inputEstimate = 0): Usage | undefined {
    const { reading: reported, streamModel: model } = this.tally;
    if (reported && (end === 'complete' || this.tally.final)) {
      return reported.model === undefined && model !== undefined ? { ...reported, model } : reported;
    }
    if (!this.tally.recognised) return undefined;
    const inputTokens = reported?.inputTokens ?? inputEstimate;
    // the sum saturates at 2^53 - 1 (the output is what fits beside the input) instead of rounding
    const outputTokens = Math.min(
      Math.max(reported?.outputTokens ?? 0, this.tally.countTokensOfText()),
      Number.MAX_SAFE_INTEGER - inputTokens,
    );
    const usage: Usage = { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens, estimated: true };
    if (reported?.cachedInputTokens !== undefined) usage.cachedInputTokens = reported.cachedInputTokens;
    if (reported?.cacheWriteTokens !== undefined) usage.cacheWriteTokens = reported.cacheWriteTokens;
    if (model !== undefined) usage.model = model;
    return usage;
  }
}
