import * as tokenizer from '../tokens/tokenizer';
import { estimateRequestBody } from './estimate-request-body';
import { MAX_RUN_CHARS } from './prompt-counter';

type Encoding = { countTokens(text: string): number };
const o200k = require('gpt-tokenizer/encoding/o200k_base') as Encoding;

/** Longest run of letters, of punctuation or of whitespace in `text`. */
const longestRun = (text: string) =>
  Math.max(0, ...(text.match(/[\p{L}\p{M}]+|[^\s\p{L}\p{N}]+|\s+/gu) ?? []).map((run) => [...run].length));

describe('bodies built to make the tokenizer slow', () => {
  const chat = (content: string) => ({ model: 'gpt-4o', messages: [{ role: 'user', content }], max_tokens: 10 });
  const bodies: [string, string][] = [
    ['one letter repeated', 'a'.repeat(90_000)],
    ['CJK without punctuation', '\u4e00'.repeat(30_000)],
    ['accented letters', '\u00e9'.repeat(45_000)],
    ['whitespace', ' '.repeat(90_000)],
    ['punctuation', '!'.repeat(90_000)],
    ['long words between spaces', `${'b'.repeat(3_000)} `.repeat(30)],
  ];

  it.each(bodies)('never hands the tokenizer a run longer than MAX_RUN_CHARS (%s)', (_name, content) => {
    const spy = jest.spyOn(tokenizer, 'countTokens'); // calls through to the real tokenizer
    try {
      const estimate = estimateRequestBody(chat(content));
      const counted = spy.mock.calls.map(([text]) => text);
      expect(estimate?.inputTokens).toBeGreaterThan(0);
      expect(counted.length).toBeGreaterThan(0);
      expect(Math.max(...counted.map(longestRun))).toBeLessThanOrEqual(MAX_RUN_CHARS);
    } finally {
      spy.mockRestore();
    }
  });

  it('counts a long run in pieces: never below the exact count, a few tokens above', () => {
    for (const run of ['a'.repeat(2_000), '\u4e00'.repeat(500), ' '.repeat(1_000), `prefix ${'z'.repeat(700)} suffix`]) {
      const exact = 3 + 3 + o200k.countTokens('user') + o200k.countTokens(run);
      const estimate = estimateRequestBody(chat(run))!.inputTokens;
      expect(estimate).toBeGreaterThanOrEqual(exact);
      expect(estimate - exact).toBeLessThanOrEqual(Math.ceil(run.length / MAX_RUN_CHARS));
    }
  });
});
