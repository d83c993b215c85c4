import { countTokens } from '../tokens/tokenizer';
import { readProviderUsage } from './providers';
import type { StreamTally, UsageReader } from './usage-reader';
import type { UsageReading } from './usage-reading';
import type { Usage } from './usage.interface';

/** Streamed text held before it is counted and dropped (bounds the memory of a long stream). */
const FOLD_CHARS = 16_384;

/**
 * What one stream has said so far, written by the providers' stream grammars: the usage last
 * reported, the model, and the streamed text (held up to 16,384 characters; older text is
 * counted and dropped). Read by {@link StreamUsageAccumulator}.
 */
export class StreamTallyState implements StreamTally {
  /** Reason of the first malformed usage seen, if any. */
  malformed: string | undefined;
  /** The usage last reported. */
  reading: Usage | undefined;
  /** True when `reading` is the provider's final figure (not a running total). */
  final = false;
  /** The first model the stream named. */
  streamModel: string | undefined;
  /** True once any event looked like a provider event (text or usage). */
  recognised = false;
  /** Text not yet counted. */
  pieces: string[] = [];
  /** Tokens of the text already counted and dropped from `pieces`. */
  foldedTokens = 0;
  /** Characters in `pieces`. */
  private pendingChars = 0;
  /** True once the running per-piece count is in use (stopStreamWhenExhausted). */
  private perPiece = false;
  private countedUpTo = 0;
  private counted = 0;
  private stateOwner: UsageReader | undefined;
  private state: unknown;

  text(value: unknown): void {
    if (typeof value === 'string' && value.length > 0) {
      this.recognised = true;
      this.pieces.push(value);
      this.pendingChars += value.length;
      if (this.pendingChars > FOLD_CHARS) this.fold();
    }
  }

  model(value: unknown): void {
    if (typeof value === 'string' && value.length > 0) this.streamModel ??= value;
  }

  recognise(): void {
    this.recognised = true;
  }

  report(reading: UsageReading, final: boolean, from?: UsageReader): void {
    if (reading.kind === 'usage') {
      if (this.stateOwner !== undefined && from !== this.stateOwner) return;
      this.recognised = true;
      this.reading = reading.usage;
      this.final = final;
    } else if (reading.kind === 'malformed') {
      this.malformed ??= reading.reason;
    }
  }

  readResult(result: unknown): UsageReading {
    return readProviderUsage(result);
  }

  stateOf(owner: UsageReader): unknown {
    return this.stateOwner === owner ? this.state : undefined;
  }

  setState(owner: UsageReader, state: unknown): void {
    this.stateOwner = owner;
    this.state = state;
    this.reading = undefined;
    this.final = false;
  }

  /** Output tokens of the text streamed so far, counted piece by piece as it comes (cheap to call per event). */
  countedOutputTokens(): number {
    if (!this.perPiece) {
      this.perPiece = true;
      this.counted = this.foldedTokens;
      this.countedUpTo = 0;
    }
    for (; this.countedUpTo < this.pieces.length; this.countedUpTo++)
      this.counted += countTokens(this.pieces[this.countedUpTo], this.streamModel);
    return this.counted;
  }

  /** Tokens of all the text streamed, in one pass over the text held (more exact than the sum of per-piece counts). */
  countTokensOfText(): number {
    return this.foldedTokens + countTokens(this.pieces.join(''), this.streamModel);
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
    this.foldedTokens += countTokens(text.slice(0, cut), this.streamModel);
    const rest = text.slice(cut);
    this.pieces = rest ? [rest] : [];
    this.pendingChars = rest.length;
    if (this.perPiece) this.countedUpTo = this.pieces.length;
  }
}
