import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { BudgetService, RequestWithTokenBudget, SkipTokenBudget, TierThrottlerGuard, TokenBudget, TokenBudgetGuard } from 'nestjs-token-budget';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { GatewayUser } from '../auth/api-keys';
import { estimatePromptTokens, maxOutputTokens, MockUpstream } from '../upstream/mock-upstream';

type ChatBody = { model?: string } & Record<string, unknown>;

/** Over its tier's rate, a request is served by the tier's cheaper model. */
const withTierModel = (body: ChatBody, req: RequestWithTokenBudget): ChatBody => (req.tokenBudget?.degraded ? { ...body, model: req.tokenBudget.degraded.model } : body);

const estimate = (req: { body?: unknown }) => estimatePromptTokens(req.body) + maxOutputTokens(req.body);

@Controller()
@UseGuards(ApiKeyGuard, TierThrottlerGuard, TokenBudgetGuard)
export class ChatController {
  constructor(
    private readonly upstream: MockUpstream,
    private readonly budgets: BudgetService,
  ) {}

  @Post('v1/chat/completions')
  @HttpCode(200)
  @TokenBudget({ feature: 'chat', estimate })
  chat(@Body() body: ChatBody, @Req() req: RequestWithTokenBudget) {
    return this.upstream.chatCompletion(withTierModel(body, req));
  }

  @Post('v1/messages')
  @HttpCode(200)
  @TokenBudget({ feature: 'messages', estimate })
  messages(@Body() body: ChatBody, @Req() req: RequestWithTokenBudget) {
    return this.upstream.message(withTierModel(body, req));
  }

  @Get('v1/budget')
  @SkipTokenBudget()
  @SkipThrottle()
  budget(@Req() req: { user: GatewayUser }) {
    return this.budgets.getUsage({ user: req.user.id, tenant: req.user.tenantId });
  }
}
