import { optionProblems } from './validate-options';

const problems = optionProblems;

describe('amounts a counter cannot hold', () => {
  it('refuses token counts past Number.MAX_SAFE_INTEGER', () => {
    expect(
      problems({ budgets: [{ scope: 'user', tokens: 1e300, rollover: { maxCarryover: 2 ** 60 } }], defaultMaxOutputTokens: 1e20 }),
    ).toEqual([
      expect.stringMatching(/^budgets\[0\]\.tokens: must be a non-negative integer/),
      expect.stringMatching(/^budgets\[0\]\.rollover\.maxCarryover: must be a non-negative integer/),
      expect.stringMatching(/^defaultMaxOutputTokens: must be a non-negative integer/),
    ]);
    expect(problems({ budgets: [{ scope: 'user', tokens: Number.MAX_SAFE_INTEGER }] })).toEqual([]);
  });

  it('refuses a positive costUsd that rounds to 0 nano-dollars (which would mean unlimited)', () => {
    expect(problems({ budgets: [{ scope: 'user', costUsd: 1e-12 }] })).toEqual([
      expect.stringMatching(/^budgets\[0\]\.costUsd: .*at least 0\.000000001/),
    ]);
    expect(
      problems({
        budgets: [
          { scope: 'user', costUsd: 0 },
          { scope: 'tenant', costUsd: 1e-9 },
        ],
      }),
    ).toEqual([]);
  });
});
