import { InvalidSubjectError } from 'nestjs-token-budget';
import { useBudgetService } from './fixtures/service';
import { STORAGE_KINDS } from './fixtures/storages';

describe.each(STORAGE_KINDS)('admin calls whose subject names no id on %s storage', (kind) => {
  const env = useBudgetService(kind, { budgets: [{ scope: 'user', period: 'day', tokens: 100 }] });

  it('reset refuses a subject without an id instead of silently resetting nothing', async () => {
    const budgets = env.budgets;
    await (await budgets.reserve('u1', 40)).commit(40);
    const params: { id?: string } = {}; // e.g. a route parameter that was not there
    await expect(budgets.reset({ user: params.id })).rejects.toThrow(InvalidSubjectError);
    await expect(budgets.reset({ feature: 'chat' })).rejects.toThrow(/reset\(\) was given no user, tenant, key or session id/);
    await expect(budgets.grant({ user: params.id }, { tokens: 5 })).rejects.toThrow(InvalidSubjectError);
    await expect(budgets.setLimit({}, { tokens: 5 })).rejects.toThrow(InvalidSubjectError);
    expect((await budgets.getUsage('u1'))[0]).toMatchObject({ used: 40, granted: 0, limit: 100 });
  });

  it('still resets the scopes named in options without a subject id', async () => {
    const budgets = env.budgets;
    await (await budgets.reserve('u2', 30)).commit(30);
    await budgets.reset({}, { scopes: ['user'] }); // nothing of scope user is named: nothing to reset, no error
    await budgets.reset('u2');
    expect((await budgets.getUsage('u2'))[0]).toMatchObject({ used: 0 });
  });
});
