import { optionProblems } from '../options/validate-options';

const problems = optionProblems;

describe('pricing options', () => {
  it('reports a negative or NaN price override on its own path', () => {
    const lines = problems({ pricing: { 'my-model': { input: -1, output: Number.NaN }, 'good-model': { input: 0.5, output: 1.5 } } });
    expect(lines).toEqual([
      expect.stringMatching(/^pricing\.my-model\.input: must be a finite, non-negative number of USD per million tokens/),
      expect.stringMatching(/^pricing\.my-model\.output: must be a finite, non-negative number of USD per million tokens/),
    ]);
  });

  it('needs input and output prices and an object of models', () => {
    expect(problems({ pricing: { m: { input: 1 } } })).toEqual([expect.stringMatching(/^pricing\.m\.output: must be a finite/)]);
    expect(problems({ pricing: 'cheap' })).toEqual([expect.stringMatching(/^pricing: must be an object of model name to prices/)]);
    expect(problems({ pricing: { m: 5 } })).toEqual([expect.stringMatching(/^pricing\.m: must be an object of model name to prices/)]);
    expect(problems({ pricing: { m: { input: 1, output: 1, cachedInput: Infinity } } })).toEqual([
      expect.stringMatching(/^pricing\.m\.cachedInput: must be a finite/),
    ]);
  });

  it('takes costUsd on rules and refuses a negative one', () => {
    expect(problems({ budgets: [{ scope: 'user', costUsd: 1.5, tokens: 100 }] })).toEqual([]);
    expect(problems({ budgets: [{ scope: 'user', costUsd: -2 }] })).toEqual([
      expect.stringMatching(/^budgets\[0\]\.costUsd: must be a finite, non-negative number of USD/),
    ]);
  });

  it('checks defaultModel and reservationPolicy', () => {
    expect(problems({ defaultModel: '', reservationPolicy: 'loose' })).toEqual([
      'defaultModel: should not be empty',
      "reservationPolicy: must be 'strict' or 'clamp'",
    ]);
  });
});
