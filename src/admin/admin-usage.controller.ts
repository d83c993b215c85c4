import { Controller, Get, Query, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { BudgetService, BudgetUsage } from 'nestjs-token-budget';
import { AdminErrorsFilter } from './admin-errors.filter';
import { AdminKeyGuard } from './admin-key.guard';
import { adminValidation } from './admin-validation.pipe';
import { UsageQueryDto } from './dto/usage-query.dto';

/** Top subjects of a scope by committed tokens or money in the current period. */
@Controller('admin/api/usage')
@UseGuards(AdminKeyGuard)
@UsePipes(adminValidation)
@UseFilters(AdminErrorsFilter)
export class AdminUsageController {
  constructor(private readonly budgets: BudgetService) {}

  @Get()
  list(@Query() query: UsageQueryDto): Promise<BudgetUsage[]> {
    return this.budgets.listUsage({
      scope: query.scope,
      orderBy: query.orderBy,
      limit: query.limit,
      ...(query.period ? { period: query.period } : {}),
    });
  }
}
