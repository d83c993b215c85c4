// Compiles with skipLibCheck off in an app that has no `ioredis` package: the library's
// declarations must not need it.
import { Module } from '@nestjs/common';
import { BudgetService, MemoryAdapter, TokenBudgetModule, type BudgetUsage } from 'nestjs-token-budget';
import { storageAdapterCases, type ConformanceCase } from 'nestjs-token-budget/testing';

@Module({
  imports: [TokenBudgetModule.forRoot({ storage: new MemoryAdapter(), budgets: [{ scope: 'user', period: 'month', tokens: 100_000 }] })],
})
export class AppModule {}

export async function usageOf(budgets: BudgetService, user: string): Promise<BudgetUsage[]> {
  return budgets.getUsage({ user });
}

// the testing entry's declarations, through the package exports, with no test runner's types
export const conformanceCases = (): ConformanceCase[] => storageAdapterCases({ create: () => new MemoryAdapter() }, ['renew', 'list']);
