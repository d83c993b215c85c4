import { countTokens } from '../tokens/tokenizer';
import { readAnthropicUsage } from './anthropic';
import { readProviderUsage } from './extract-usage';
import { Usage } from './usage.interface';
import { isRecord, peek, UnknownRecord } from './usage-fields';

/** Where a stream stands when its usage is asked for. */
export type StreamEnd = 'complete' | 'interrupted';

/** Streamed text held before it is counted and dropped (bounds the memory of a long stream). */
const FOLD_CHARS = 16_384;

const TERMINAL_RESPONSE_EVENTS: ReadonlySet<unknown> = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * Reads the usage of one streamed LLM call from its parsed events, whatever the provider:
 *
 * - OpenAI chat chunks: the `include_usage` chunk (`choices: []`, `usage`); Groq's `x_groq.usage`
 *   (a later `usage` replaces it, they are never added);
 * - OpenAI Responses events: `response.usage` of `response.completed | incomplete | failed`;
 * - Anthropic: `message_start.message.usage`, then each `message_delta.usage` replaces the fields
 *   it carries (they are cumulative, never added);
 * - Gemini: `usageMetadata` is a running total, the last one is kept;
 * - Ollama: the final `done: true` line.
 *
 * Streamed text (content, reasoning and tool-call argument deltas) is kept too, so a stream that
 * carries no usage, or stops before its usage arrives, is counted with the tokenizer
 * (`estimated: true`). An event with a malformed usage field is skipped (its reason kept in
 * `malformed`); it never replaces good figures. Never throws.
 */
export class StreamUsageAccumulator {
  /** Reason of the first malformed usage seen, if any. */
  malformed: string | undefined;
  private reading: Usage | undefined;
  /** True when `reading` is the provider's final figure (not a running total). */
  private final = false;
  private anthropic: UnknownRecord | undefined;
  private anthropicFinal = false;
  private lastGoodAnthropic: UnknownRecord | undefined;
  private model: string | undefined;
  private pieces: string[] = [];
  /** Characters in `pieces`. */
  private pendingChars = 0;
  /** Tokens of the text already counted and dropped from `pieces`. */
  private foldedTokens = 0;
  private recognised = false;
  /** True once the running per-piece count is in use (stopStreamWhenExhausted). */
  private perPiece = false;
  private countedUpTo = 0;
  private counted = 0;

  /** Feeds one parsed stream event (a chunk object). Anything else is ignored. */
  push(event: unknown): void {
    if (!isRecord(event)) return;
    try {
      this.read(event);
    } catch {
      // an event whose getters throw is skipped like any unknown event
    }
  }

  /** True once any event looked like a provider event (text or usage). */
  get sawProviderEvents(): boolean {
    return this.recognised;
  }

  /**
   * Streamed text not yet counted: the last 16,384 characters or fewer. Text before it is counted
   * and dropped, so a stream of any length holds a bounded amount of text.
   */
  get text(): string {
    return this.pieces.join('');
  }

  /** Output tokens of the text streamed so far, counted incrementally (cheap to call per event). */
  countedOutputTokens(): number {
    if (!this.perPiece) {
      this.perPiece = true;
      this.counted = this.foldedTokens;
      this.countedUpTo = 0;
    }
    for (; this.countedUpTo < this.pieces.length; this.countedUpTo++) this.counted += countTokens(this.pieces[this.countedUpTo], this.model);
    return this.counted;
  }

  /** Input tokens the provider reported so far, if any. */
  reportedInputTokens(): number | undefined {
    const usage = this.providerUsage();
    return usage?.inputTokens;
  }

  /**
   * The usage to commit. A complete stream (or one whose final usage arrived) gives the provider's
   * own figures; otherwise input comes from the usage seen so far (else `inputEstimate`) and output
   * is the larger of the reported running total and the tokens of the streamed text, marked
   * `estimated: true`. `undefined` when the stream showed nothing a provider sends.
   */
  usage(end: StreamEnd, inputEstimate = 0): Usage | undefined {
    const reported = this.providerUsage();
    if (reported && (end === 'complete' || this.isFinal())) return this.withModel(reported);
    if (!this.recognised) return undefined;
    const inputTokens = reported?.inputTokens ?? inputEstimate;
    // the sum saturates at 2^53 - 1 (the output is what fits beside the input) instead of rounding
    const outputTokens = Math.min(Math.max(reported?.outputTokens ?? 0, this.countTokensOfText()), Number.MAX_SAFE_INTEGER - inputTokens);
    const usage: Usage = { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens, estimated: true };
    if (reported?.cachedInputTokens !== undefined) usage.cachedInputTokens = reported.cachedInputTokens;
    if (reported?.cacheWriteTokens !== undefined) usage.cacheWriteTokens = reported.cacheWriteTokens;
    if (this.model !== undefined) usage.model = this.model;
    return usage;
  }

  private countTokensOfText(): number {
    // one pass over the text is more exact than the sum of per-piece counts
    return this.foldedTokens + countTokens(this.text, this.model);
  }

  /**
   * Counts the text held so far up to its last word boundary and drops it, keeping the rest (a
   * cut between a word and the space before the next one changes no count of an English text).
   */
  private fold(): void {
    // the per-piece running count (stopStreamWhenExhausted) must have seen what is dropped
    if (this.perPiece) this.countedOutputTokens();
    const text = this.pieces.join('');
    let cut = text.length;
    for (let i = text.length - 1; i > 0 && i > text.length - 1_024; i--) {
      if (text[i] === ' ' && text[i - 1] !== ' ' && text[i + 1] !== undefined && !/\s/.test(text[i + 1])) {
        cut = i;
        break;
      }
    }
    this.foldedTokens += countTokens(text.slice(0, cut), this.model);
    const rest = text.slice(cut);
    this.pieces = rest ? [rest] : [];
    this.pendingChars = rest.length;
    if (this.perPiece) this.countedUpTo = this.pieces.length;
  }

  private isFinal(): boolean {
    return this.anthropic ? this.anthropicFinal : this.final;
  }

  private providerUsage(): Usage | undefined {
    if (!this.anthropic) return this.reading;
    const reading = readAnthropicUsage({ type: 'message', model: this.model, usage: this.anthropic });
    if (reading.kind === 'usage') return reading.usage;
    if (reading.kind === 'malformed') this.malformed ??= reading.reason;
    return undefined;
  }

  private withModel(usage: Usage): Usage {
    return usage.model === undefined && this.model !== undefined ? { ...usage, model: this.model } : usage;
  }

  private read(event: UnknownRecord): void {
    const type = event.type;
    if (typeof type === 'string') {
      if (this.readTypedEvent(event, type)) return;
    }
    this.readChunk(event);
  }

  /** Anthropic and Responses events; `false` for other typed objects (read as chunks). */
  private readTypedEvent(event: UnknownRecord, type: string): boolean {
    switch (type) {
      case 'message_start': {
        const message = peek(event, 'message');
        this.noteModel(peek(message, 'model'));
        const usage = peek(message, 'usage');
        this.recognised = true;
        this.anthropic = {};
        if (isRecord(usage)) this.mergeAnthropic(usage);
        return true;
      }
      case 'message_delta': {
        const usage = peek(event, 'usage');
        this.recognised = true;
        // without message_start there is no input count to complete: the streamed text is counted
        if (this.anthropic && isRecord(usage)) this.mergeAnthropic(usage);
        if (peek(peek(event, 'delta'), 'stop_reason') != null) this.anthropicFinal = true;
        return true;
      }
      case 'content_block_delta': {
        const delta = peek(event, 'delta');
        this.noteText(peek(delta, 'text'));
        this.noteText(peek(delta, 'thinking'));
        this.noteText(peek(delta, 'partial_json'));
        return true;
      }
      case 'ping':
      case 'error':
      case 'message_stop':
      case 'content_block_start':
      case 'content_block_stop':
        return true;
    }
    if (type.startsWith('response.')) {
      this.noteModel(peek(peek(event, 'response'), 'model'));
      if (TERMINAL_RESPONSE_EVENTS.has(type)) this.take(readProviderUsage(event), true);
      else if (type.endsWith('.delta')) this.noteText(peek(event, 'delta'));
      this.recognised = true;
      return true;
    }
    return false;
  }

  /** Chat chunks (OpenAI, Groq, Ollama `/v1`), Gemini chunks, Ollama native lines. */
  private readChunk(event: UnknownRecord): void {
    this.noteModel(event.model);
    this.noteModel(event.modelVersion);
    const choices = event.choices;
    if (Array.isArray(choices)) {
      this.recognised = true;
      for (const choice of choices) {
        const delta = peek(choice, 'delta');
        this.noteText(peek(delta, 'content'));
        this.noteText(peek(delta, 'reasoning_content'));
        this.noteText(peek(delta, 'reasoning'));
        const calls = peek(delta, 'tool_calls');
        if (Array.isArray(calls)) for (const call of calls) this.noteText(peek(peek(call, 'function'), 'arguments'));
      }
    }
    const candidates = event.candidates;
    if (Array.isArray(candidates)) {
      this.recognised = true;
      for (const candidate of candidates) {
        const parts = peek(peek(candidate, 'content'), 'parts');
        if (Array.isArray(parts)) for (const part of parts) this.noteText(peek(part, 'text'));
      }
    }
    if (typeof event.done === 'boolean') {
      this.recognised = true;
      this.noteText(peek(event.message, 'content'));
      this.noteText(event.response);
    }
    const hasUsage = isRecord(event.usage) || isRecord(peek(event.x_groq, 'usage')) || isRecord(event.usageMetadata) || event.done === true;
    if (hasUsage) this.take(readProviderUsage(event), !isRecord(event.usageMetadata));
  }

  private take(reading: ReturnType<typeof readProviderUsage>, final: boolean): void {
    if (reading.kind === 'usage') {
      this.recognised = true;
      this.reading = reading.usage;
      this.final = final;
    } else if (reading.kind === 'malformed') {
      this.malformed ??= reading.reason;
    }
  }

  private mergeAnthropic(usage: UnknownRecord): void {
    const merged = this.anthropic as UnknownRecord;
    for (const key of Object.keys(usage)) {
      if (usage[key] !== null && usage[key] !== undefined) merged[key] = usage[key];
    }
    // a delta whose fields do not read is dropped whole: it never spoils the figures before it
    const reading = readAnthropicUsage({ type: 'message', usage: merged });
    if (reading.kind === 'malformed') {
      this.malformed ??= reading.reason;
      this.anthropic = this.lastGoodAnthropic ?? {};
      return;
    }
    this.lastGoodAnthropic = { ...merged };
  }

  private noteText(value: unknown): void {
    if (typeof value === 'string' && value.length > 0) {
      this.recognised = true;
      this.pieces.push(value);
      this.pendingChars += value.length;
      if (this.pendingChars > FOLD_CHARS) this.fold();
    }
  }

  private noteModel(value: unknown): void {
    if (typeof value === 'string' && value.length > 0) this.model ??= value;
  }
}
