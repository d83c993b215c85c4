import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { BudgetService, SkipTokenBudget } from 'nestjs-token-budget';
import { ApiKeyGuard } from '../keys/api-key.guard';
import type { GatewayUser } from '../keys/gateway-user';

/** `GET /v1/budget`: the caller's own budgets, one entry per rule (used, reserved, limit, remaining, resetAt). */
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class BudgetController {
  constructor(private readonly budgets: BudgetService) {}

  @Get('budget')
  @SkipTokenBudget()
  budget(@Req() req: { user: GatewayUser }) {
    return this.budgets.getUsage({ user: req.user.id, tenant: req.user.tenantId, ...(req.user.keyId ? { key: req.user.keyId } : {}) });
  }
}
