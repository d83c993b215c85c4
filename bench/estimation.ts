/**
 * Cost of estimating a request from its body: `estimateRequestBody` (exact up to 32,000 characters,
 * sampled beyond) against tokenizing the whole prompt exactly, on a 2,000-token prompt and on
 * 100,000-character prompts of prose and of base64-like text. Prints per-call times (median of
 * rounds, each round a fresh set of prompts, each timed batch from an empty tokenizer merge cache),
 * the ratio, and the estimate's worst error against the exact count. Then times bodies built to
 * make the tokenizer slow against prose bodies of the same length. `BENCH_ITERATIONS` and
 * `BENCH_ROUNDS` change the run.
 */
import { randomBytes } from 'node:crypto';
import { estimateRequestBody } from 'nestjs-token-budget';

const o200k = require('gpt-tokenizer/encoding/o200k_base') as { countTokens(text: string): number; clearMergeCache(): void };

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

let seed = 12345;
const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;

const WORDS =
  'the a budget token request model user limit period reserve commit answer question meeting quarter figure decision report customer service invoice payment schedule review team product release plan risk cost growth market data system'.split(
    ' ',
  );
function prose(chars: number): string {
  let text = '';
  while (text.length < chars) {
    const sentence = Array.from({ length: 8 + Math.floor(random() * 12) }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
    text += `${sentence[0].toUpperCase()}${sentence.slice(1)}. `;
  }
  return text.slice(0, chars);
}
const base64 = (chars: number) =>
  randomBytes(Math.ceil((chars * 3) / 4))
    .toString('base64')
    .slice(0, chars);

/** A prose prompt of about `tokens` tokens. */
function proseOfTokens(tokens: number): string {
  let text = prose(tokens * 5);
  while (o200k.countTokens(text) > tokens) text = text.slice(0, Math.floor(text.length * 0.98));
  return text;
}

const CASES: { name: string; make: () => string }[] = [
  { name: '2k-token prose', make: () => proseOfTokens(2_000) },
  { name: '100k-char prose', make: () => prose(100_000) },
  { name: '100k-char base64-like', make: () => base64(100_000) },
];

const body = (text: string) => ({ model: 'gpt-4o', messages: [{ role: 'user', content: text }], max_tokens: 500 });
const exactPrompt = (text: string) => 3 + 3 + o200k.countTokens('user') + o200k.countTokens(text);

/** Times `fn` over `texts`, starting from an empty tokenizer merge cache so both variants meet the same state. */
function time(texts: string[], fn: (text: string) => number): { ms: number; results: number[] } {
  o200k.clearMergeCache();
  const start = process.hrtime.bigint();
  const results = texts.map(fn);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6 / texts.length, results };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function main(): void {
  console.log(`bench/estimation: ${ITERATIONS} prompts per case per round, ${ROUNDS} rounds, node ${process.version}`);
  // warm-up: load the encoding, fill the caches of common pieces
  for (const { make } of CASES) for (const text of [make(), make()]) exactPrompt(text) + estimateRequestBody(body(text))!.inputTokens;
  const rows: string[] = [];
  for (const { name, make } of CASES) {
    const exactMs: number[] = [];
    const estimateMs: number[] = [];
    const errors: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const texts = Array.from({ length: ITERATIONS }, make);
      // alternate which goes first so neither always meets a warmer cache
      const first = round % 2 === 0;
      const a = first ? time(texts, exactPrompt) : undefined;
      const e = time(texts, (text) => estimateRequestBody(body(text))!.inputTokens);
      const x = a ?? time(texts, exactPrompt);
      exactMs.push(x.ms);
      estimateMs.push(e.ms);
      texts.forEach((_, i) => errors.push((e.results[i] - x.results[i]) / x.results[i]));
    }
    const [ex, es] = [median(exactMs), median(estimateMs)];
    const worst = errors.reduce((w, err) => (Math.abs(err) > Math.abs(w) ? err : w), 0);
    rows.push(`| ${name} | ${ex.toFixed(2)} | ${es.toFixed(2)} | ${(es / ex).toFixed(3)} | ${(worst * 100).toFixed(2)}% |`);
  }
  console.log('\n| prompt | exact count, ms/call | estimateRequestBody, ms/call | ratio | worst error of the estimate |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
  slowBodies();
}

/**
 * Bodies built to make byte-pair merging slow (long runs of one character class, random so that no
 * piece repeats and the tokenizer's merge cache never helps) against prose bodies of the same
 * length: `estimateRequestBody` per call (fresh bodies every round), and the ratio to prose.
 */
function slowBodies(): void {
  const CHARS = 90_000;
  const pick = (alphabet: string, chars: number) =>
    Array.from({ length: chars }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  const cjk = (chars: number) => Array.from({ length: chars }, () => String.fromCharCode(0x4e00 + Math.floor(random() * 20_000))).join('');
  const bodies: { name: string; make: () => string }[] = [
    { name: '90k-char prose', make: () => prose(CHARS) },
    { name: '90k random letters, no spaces', make: () => pick('abcdefghijklmnopqrstuvwxyz', CHARS) },
    { name: '30k random CJK characters (90 kB)', make: () => cjk(CHARS / 3) },
    { name: '90k random punctuation', make: () => pick('!#%&*+-=?@^_~', CHARS) },
  ];
  const perCall = (make: () => string) => {
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++)
      times.push(time(Array.from({ length: ITERATIONS }, make), (t) => estimateRequestBody(body(t))!.inputTokens).ms);
    return median(times);
  };
  const ms = bodies.map(({ make }) => perCall(make));
  console.log('\n| body | estimateRequestBody, ms/call | ratio to prose |');
  console.log('| --- | ---: | ---: |');
  bodies.forEach(({ name }, i) => console.log(`| ${name} | ${ms[i].toFixed(2)} | ${(ms[i] / ms[0]).toFixed(2)} |`));
}

main();
