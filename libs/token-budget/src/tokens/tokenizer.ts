/**
 * Token counting for estimates and for streams that carry no usage.
 *
 * OpenAI models are counted with their real encoding (gpt-tokenizer: `o200k_base` for GPT-4o,
 * GPT-4.1, GPT-5 and the o-series, `cl100k_base` for GPT-4, GPT-3.5 and the text-embedding-3
 * models). Other models (Anthropic, Gemini, Llama, ...) have no public tokenizer in JS; they are
 * counted with `o200k_base` too, which lands within about 10-20% of their own counts on English
 * text. Encodings load on first use.
 */

type Encoder = { countTokens(text: string): number };

let o200k: Encoder | undefined;
let cl100k: Encoder | undefined;

function encoderFor(model: string | undefined): Encoder {
  if (model !== undefined && isCl100kModel(model)) {
    return (cl100k ??= require('gpt-tokenizer/encoding/cl100k_base') as Encoder);
  }
  return (o200k ??= require('gpt-tokenizer/encoding/o200k_base') as Encoder);
}

function isCl100kModel(model: string): boolean {
  const name = model.toLowerCase().replace(/^openai\//, '');
  return /^(gpt-4(?!o|\.|-?o)|gpt-3\.5|text-embedding-(3|ada))/.test(name);
}

/** Whether `model` is an OpenAI model, counted with its own encoding (others are approximations). */
export function isOpenAiModel(model: string | undefined): boolean {
  if (!model) return false;
  return /^(openai\/)?(gpt-|o\d|chatgpt-|text-embedding-|davinci|babbage)/i.test(model);
}

/** Tokens of `text` for `model` (exact for OpenAI models, an approximation for others). */
export function countTokens(text: string, model?: string): number {
  if (!text) return 0;
  return encoderFor(model).countTokens(text);
}
