import { countTokens, isOpenAiModel } from '../tokens/tokenizer';

/**
 * Characters of one request tokenized exactly; text beyond is extrapolated. Tokenizing costs CPU
 * on every request (about 0.7 ms for 2,000 tokens of prose, up to 200 ms for 100,000 characters
 * of base64-like text), so a request body pays for at most this much exact work.
 */
export const EXACT_CHARS = 32_000;
/** Windows sampled from text beyond the exact part, and their size in characters. */
const SAMPLE_WINDOWS = 8;
const SAMPLE_CHARS = 1_000;
/** Tokens per character assumed when nothing was measured yet (errs high: prose is about 0.25). */
const FALLBACK_RATIO = 0.35;
/**
 * Margin on counts of non-OpenAI models, whose tokenizers are not available in JS: their text is
 * counted with `o200k_base` and the count raised by this factor, so the hold errs high (Claude's
 * tokenizer, for one, yields more tokens than `o200k_base` on the same text).
 */
export const NON_OPENAI_FACTOR = 1.2;
/** Flat allowance of one image part (about a large image on Claude, a 2048x768 one on GPT-4o). */
export const IMAGE_TOKENS = 1_600;
/** Flat allowance of one audio, video, file or document part. */
export const MEDIA_TOKENS = 4_000;

/**
 * Counts the text of one request body for one model: exactly (for OpenAI models) up to
 * {@link EXACT_CHARS} characters, beyond that by the token density of windows sampled across the
 * rest of the text. Fixed costs (per message, images) are added with {@link add}.
 */
export class PromptCounter {
  private exactLeft = EXACT_CHARS;
  private measuredChars = 0;
  private measuredTokens = 0;
  private textTokens = 0;
  private fixedTokens = 0;

  constructor(readonly model: string | undefined) {}

  /** Counts `value` when it is a string; anything else counts nothing. */
  text(value: unknown): void {
    if (typeof value !== 'string' || value.length === 0) return;
    if (value.length <= this.exactLeft) {
      this.textTokens += this.exact(value);
      return;
    }
    const head = this.exactLeft > 0 ? value.slice(0, this.exactLeft) : '';
    if (head) this.textTokens += this.exact(head);
    this.textTokens += this.extrapolate(value, head.length);
  }

  /** Adds a fixed number of tokens (framing, media allowances). */
  add(tokens: number): void {
    this.fixedTokens += tokens;
  }

  /** Tokens counted so far; text of non-OpenAI models raised by {@link NON_OPENAI_FACTOR}. */
  get total(): number {
    const text = isOpenAiModel(this.model) ? this.textTokens : Math.ceil(this.textTokens * NON_OPENAI_FACTOR);
    return text + this.fixedTokens;
  }

  private exact(text: string): number {
    const tokens = countTokens(text, this.model);
    this.exactLeft -= text.length;
    this.measuredChars += text.length;
    this.measuredTokens += tokens;
    return tokens;
  }

  /** Tokens of `text` from `from` on, by the density of windows sampled across that part. */
  private extrapolate(text: string, from: number): number {
    const rest = text.length - from;
    let ratio = this.measuredChars > 0 ? this.measuredTokens / this.measuredChars : FALLBACK_RATIO;
    if (rest >= SAMPLE_WINDOWS * SAMPLE_CHARS * 2) {
      const step = Math.floor(rest / SAMPLE_WINDOWS);
      let chars = 0;
      let tokens = 0;
      for (let i = 0; i < SAMPLE_WINDOWS; i++) {
        const window = text.slice(from + i * step, from + i * step + SAMPLE_CHARS);
        chars += window.length;
        tokens += countTokens(window, this.model);
      }
      ratio = tokens / chars;
    }
    return Math.ceil(rest * ratio);
  }
}
