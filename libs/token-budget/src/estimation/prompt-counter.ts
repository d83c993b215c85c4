import { countTokens, isOpenAiModel } from '../tokens/tokenizer';

/**
 * Tokens of one request counted exactly; text beyond is extrapolated. Tokenizing costs CPU on
 * every request, and far more per character for dense text (base64, hex, minified code) than for
 * prose, so the exact work is bounded in tokens: about 30,000 characters of English prose, 11,000
 * of base64. Long texts are counted in chunks of {@link CHUNK_CHARS} cut before a space.
 */
export const EXACT_TOKENS = 8_192;
const CHUNK_CHARS = 4_096;
/**
 * Longest run of letters, of punctuation or of whitespace given to the tokenizer in one piece. Such
 * a run is one piece of the tokenizer's pre-split, and byte-pair merging a piece costs time
 * quadratic in its length: 4,096 repeated letters or CJK characters take tens of milliseconds where
 * 4,096 characters of prose take a fraction of one. Longer runs are counted in pieces of this size,
 * which counts a token or so more per cut (the safe side for a hold); prose never has such runs.
 */
export const MAX_RUN_CHARS = 64;
/** Windows sampled from text beyond the exact part, and their size in characters. */
const SAMPLE_WINDOWS = 8;
const SAMPLE_CHARS = 512;
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
 * Counts the text of one request body for one model: exactly (for OpenAI models) until
 * {@link EXACT_TOKENS} tokens are counted, beyond that by the token density of windows sampled
 * across the rest of the text. Fixed costs (per message, images) are added with {@link add}.
 */
export class PromptCounter {
  private exactLeft = EXACT_TOKENS;
  private measuredChars = 0;
  private measuredTokens = 0;
  private textTokens = 0;
  private fixedTokens = 0;

  constructor(readonly model: string | undefined) {}

  /** Counts `value` when it is a string; anything else counts nothing. */
  text(value: unknown): void {
    if (typeof value !== 'string' || value.length === 0) return;
    let from = 0;
    while (from < value.length) {
      if (this.exactLeft <= 0) {
        this.textTokens += this.extrapolate(value, from);
        return;
      }
      const end = chunkEnd(value, from);
      this.textTokens += this.exact(from === 0 && end === value.length ? value : value.slice(from, end));
      from = end;
    }
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
    const tokens = countBounded(text, this.model);
    this.exactLeft -= tokens;
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
        tokens += countBounded(window, this.model);
      }
      ratio = tokens / chars;
    }
    return Math.ceil(rest * ratio);
  }
}

/**
 * End of the chunk of `text` starting at `from`: the whole rest when short, else just before the
 * last space of the next {@link CHUNK_CHARS} characters (so words are not split and the sum of
 * the chunks' counts is the count of the text), or at the chunk size when there is no space.
 */
function chunkEnd(text: string, from: number): number {
  if (text.length - from <= CHUNK_CHARS) return text.length;
  const space = text.lastIndexOf(' ', from + CHUNK_CHARS);
  return space > from + CHUNK_CHARS / 2 ? space : from + CHUNK_CHARS;
}

/**
 * Tokens of `text`, long runs counted in pieces of at most {@link MAX_RUN_CHARS} characters. One
 * pass over the character codes (a regular expression with Unicode classes cost more than the
 * count of prose itself); every non-ASCII character counts as a letter, so a run of non-ASCII
 * punctuation is cut too (a token more, never fewer). Digits are never cut: the tokenizer splits
 * them in threes.
 */
export function countBounded(text: string, model: string | undefined): number {
  let total = 0;
  let from = 0;
  let runClass = -1;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const kind = charClass(text.charCodeAt(i));
    if (kind !== runClass) {
      runClass = kind;
      run = 0;
    }
    if (kind !== DIGIT && ++run > MAX_RUN_CHARS) {
      total += countTokens(text.slice(from, i), model);
      from = i;
      run = 1;
    }
  }
  return total + (from === 0 ? countTokens(text, model) : countTokens(text.slice(from), model));
}

const SPACE = 0;
const LETTER = 1;
const PUNCTUATION = 2;
const DIGIT = 3;

/** The class of a character for run lengths: whitespace and controls, letters (and all of non-ASCII), ASCII punctuation, digits. */
function charClass(code: number): number {
  if (code <= 32) return SPACE;
  if (code >= 128) return LETTER;
  if (code >= 48 && code <= 57) return DIGIT;
  const lower = code | 32;
  return lower >= 97 && lower <= 122 ? LETTER : PUNCTUATION;
}
