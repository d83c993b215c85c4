import { BudgetExceededException, InvalidAdminRequestError } from 'nestjs-token-budget';
import { useBudgetService } from './fixtures/service';
import { STORAGE_KINDS } from './fixtures/storages';

const MODEL = 'gpt-4o-mini';

describe.each(STORAGE_KINDS)('money amounts below one nano-dollar on %s storage', (kind) => {
  const env = useBudgetService(kind, { budgets: [{ scope: 'user', period: 'day', costUsd: 0.001 }] });

  it('setLimit refuses a positive money limit that would round to 0 (unlimited), and keeps the rule', async () => {
    const budgets = env.budgets;
    await expect(budgets.setLimit('u1', { costUsd: 1e-10 })).rejects.toThrow(InvalidAdminRequestError);
    await expect(budgets.setLimit('u1', { costUsd: 4e-10 })).rejects.toThrow(/costUsd is 4e-10/);
    // the rule's $0.001 still refuses a call priced at about $0.006
    await expect(budgets.reserve('u1', { inputTokens: 0, outputTokens: 10_000, model: MODEL })).rejects.toThrow(BudgetExceededException);
    expect((await budgets.getUsage('u1'))[0]).toMatchObject({ costLimitUsd: 0.001, costReservedUsd: 0 });
  });

  it('still takes 0 (unlimited) and one nano-dollar', async () => {
    const budgets = env.budgets;
    await budgets.setLimit('u1', { costUsd: 1e-9 });
    expect((await budgets.getUsage('u1'))[0]).toMatchObject({ costLimitUsd: 1e-9 });
    await budgets.setLimit('u1', { costUsd: 0 });
    expect((await budgets.getUsage('u1'))[0]).toMatchObject({ costLimitUsd: 0 });
  });
});
