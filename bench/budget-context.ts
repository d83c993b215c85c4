import 'reflect-metadata';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BudgetRule, BudgetService, TokenBudgetModule, TokenBudgetModuleOptions } from 'nestjs-token-budget';

@Module({})
class ScaleBenchModule {}

/** A user budget per month with a limit never reached during the bench: every call is checked and counted. */
export const SCALE_BUDGET: BudgetRule = { scope: 'user', period: 'month', tokens: 1_000_000_000_000 };

/** A Nest application context with the module configured by `options`, for work through BudgetService (no HTTP). */
export async function budgetContext(options: TokenBudgetModuleOptions): Promise<{ budgets: BudgetService; app: INestApplicationContext }> {
  const app = await NestFactory.createApplicationContext(
    { module: ScaleBenchModule, imports: [TokenBudgetModule.forRoot({ budgets: [SCALE_BUDGET], ...options })] },
    { logger: ['error'] },
  );
  return { budgets: app.get(BudgetService), app };
}

/** Runs `task(i)` for i in [from, to) with at most `concurrency` calls in flight. */
export async function inParallel(from: number, to: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(0, to - from)) }, worker));
}

export const subjectId = (i: number) => `subject-${i}`;
