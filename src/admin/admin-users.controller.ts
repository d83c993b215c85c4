import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { BudgetService, BudgetUsage } from 'nestjs-token-budget';
import { KeysService } from '../keys/keys.service';
import { AdminErrorsFilter } from './admin-errors.filter';
import { AdminKeyGuard } from './admin-key.guard';
import { adminValidation } from './admin-validation.pipe';
import { AmountDto } from './dto/amount.dto';
import { UserQueryDto } from './dto/user-query.dto';
import { KeyView, keyView } from './key-view';

/** A user's budgets, keys, credits and limit override. */
export interface UserReport {
  user: string;
  tenant: string | null;
  /** The user's budgets per scope (user, tenant, global) in their current period. */
  budgets: BudgetUsage[];
  /** The user's keys, each with its own `key` budget. */
  keys: Array<KeyView & { budgets: BudgetUsage[] }>;
}

/** Credits and limits of one user (the module's `user` budgets), and what the user has spent. */
@Controller('admin/api/users')
@UseGuards(AdminKeyGuard)
@UsePipes(adminValidation)
@UseFilters(AdminErrorsFilter)
export class AdminUsersController {
  constructor(
    private readonly budgets: BudgetService,
    private readonly keys: KeysService,
  ) {}

  @Get(':id')
  async get(@Param('id') id: string, @Query() query: UserQueryDto): Promise<UserReport> {
    const keys = (await this.keys.list()).filter((key) => key.userId === id);
    const tenant = query.tenant ?? keys[0]?.tenantId;
    const budgets = await this.budgets.getUsage({ user: id, ...(tenant !== undefined ? { tenant } : {}) });
    const keyBudgets = await Promise.all(
      keys.map(async (key) => ({
        ...keyView(key),
        budgets: (await this.budgets.getUsage({ key: key.id })).filter((u) => u.scope === 'key'),
      })),
    );
    return { user: id, tenant: tenant ?? null, budgets: budgets.filter((u) => u.scope !== 'key'), keys: keyBudgets };
  }

  /** Adds credits to the current period of the user's budgets; answers their figures after. */
  @Post(':id/grants')
  @HttpCode(200)
  grant(@Param('id') id: string, @Body() body: AmountDto): Promise<BudgetUsage[]> {
    return this.budgets.grant({ user: id }, { tokens: body.tokens, costUsd: body.cost_usd });
  }

  /** Replaces the rule's limits for this user (kept until removed); answers the user's budgets after. */
  @Put(':id/limit')
  async setLimit(@Param('id') id: string, @Body() body: AmountDto): Promise<BudgetUsage[]> {
    await this.budgets.setLimit({ user: id }, { tokens: body.tokens, costUsd: body.cost_usd });
    return this.userBudgets(id);
  }

  /** Back to the rule's limits. */
  @Delete(':id/limit')
  async clearLimit(@Param('id') id: string): Promise<BudgetUsage[]> {
    await this.budgets.clearLimit({ user: id });
    return this.userBudgets(id);
  }

  private async userBudgets(id: string): Promise<BudgetUsage[]> {
    return (await this.budgets.getUsage({ user: id })).filter((u) => u.scope === 'user');
  }
}
