import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { BudgetService, RequestWithTokenBudget, SkipTokenBudget, TierThrottlerGuard, TokenBudget, TokenBudgetGuard } from 'nestjs-token-budget';
import { ApiKeyGuard } from '../keys/api-key.guard';
import type { GatewayUser } from '../keys/gateway-user';
import { MockUpstream } from '../upstream/mock-upstream';

type ChatBody = { model?: string } & Record<string, unknown>;

/** Over its tier's rate, a request is served by the tier's cheaper model. */
const withTierModel = (body: ChatBody, req: RequestWithTokenBudget): ChatBody => (req.tokenBudget?.degraded ? { ...body, model: req.tokenBudget.degraded.model } : body);

@Controller()
@UseGuards(ApiKeyGuard, TierThrottlerGuard, TokenBudgetGuard)
export class ChatController {
  constructor(
    private readonly upstream: MockUpstream,
    private readonly budgets: BudgetService,
  ) {}

  @Post('v1/chat/completions')
  @HttpCode(200)
  @TokenBudget({ feature: 'chat' }) // holds the prompt tokens plus max_tokens read from the body
  chat(@Body() body: ChatBody, @Req() req: RequestWithTokenBudget) {
    const request = withTierModel(body, req);
    // a stream is sent as SSE by the interceptor, which commits its usage chunk when it ends
    return body.stream === true ? this.upstream.chatCompletionStream(request) : this.upstream.chatCompletion(request);
  }

  @Post('v1/messages')
  @HttpCode(200)
  @TokenBudget({ feature: 'messages' })
  messages(@Body() body: ChatBody, @Req() req: RequestWithTokenBudget) {
    const request = withTierModel(body, req);
    return body.stream === true ? this.upstream.messageStream(request) : this.upstream.message(request);
  }

  @Get('v1/budget')
  @SkipTokenBudget()
  @SkipThrottle()
  budget(@Req() req: { user: GatewayUser }) {
    return this.budgets.getUsage({ user: req.user.id, tenant: req.user.tenantId, ...(req.user.keyId ? { key: req.user.keyId } : {}) });
  }
}
