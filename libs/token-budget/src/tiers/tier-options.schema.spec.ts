import { TokenBudgetOptionsError } from '../token-budget-options.error';
import { validateOptions } from '../options/validate-options';

function problems(options: unknown): string[] {
  try {
    validateOptions(options);
    return [];
  } catch (error) {
    if (error instanceof TokenBudgetOptionsError) return error.problems;
    throw error;
  }
}

describe('tiers option validation', () => {
  const definitions = { free: { limit: 5, ttl: 60_000 }, pro: { limit: 50, ttl: '1m' } };

  it('accepts a full tier configuration', () => {
    expect(
      problems({
        budgets: [{ scope: 'user', period: 'month', tokens: 100_000 }],
        tiers: {
          definitions: {
            ...definitions,
            free: { limit: 5, budgets: { month: 10_000 }, tokensPerMinute: 2_000, degradeTo: 'gpt-4o-mini', burst: 2 },
          },
          default: 'free',
          assignments: { 'user-1': 'pro' },
          resolve: async () => 'pro',
          enforce: 'degrade',
          maxQueueMs: 500,
          cacheTtlMs: 1_000,
        },
      }),
    ).toEqual([]);
  });

  it('names each bad field: negative limit, unknown tiers, bad ttl, unknown enforce, budget names that match nothing', () => {
    expect(
      problems({
        budgets: [{ scope: 'user', period: 'month', tokens: 100_000 }],
        tiers: {
          definitions: { free: { limit: -1, ttl: 'soon' }, pro: { limit: 50, budgets: { year: 5 } } },
          default: 'gold',
          assignments: { 'user-1': 'platinum' },
          enforce: 'drop',
        },
      }),
    ).toEqual([
      'tiers.enforce: must be one of: reject, queue, degrade',
      'tiers.definitions.free.limit: must be a non-negative integer',
      "tiers.definitions.free.ttl: must be a positive number of ms or a duration such as '30s', '1m' or '1h'",
      'tiers.definitions.pro.budgets.year: matches no user budget of the module; use the name or the period of one of them (user:month, month)',
      "tiers.default: unknown tier 'gold'; the tiers are: free, pro",
      "tiers.assignments.user-1: unknown tier 'platinum'; the tiers are: free, pro",
    ]);
  });

  it('asks for degradeTo when enforce is degrade, and refuses unknown tier fields', () => {
    expect(problems({ tiers: { definitions, default: 'free', enforce: 'degrade' } })).toEqual([
      "tiers.enforce: 'degrade' needs degradeTo (a cheaper model) on at least one tier; tiers without one reject",
    ]);
    expect(problems({ tiers: { definitions: { free: { limit: 1, rate: 3 } }, default: 'free' } })).toEqual([
      'tiers.definitions.free.rate: is not a known option',
    ]);
  });

  it('matches tier budgets against the userBudget shorthand too', () => {
    expect(
      problems({
        userBudget: { monthlyTokenLimit: 1_000 },
        tiers: { definitions: { free: { limit: 1, budgets: { month: 10 } } }, default: 'free' },
      }),
    ).toEqual([]);
  });
});
