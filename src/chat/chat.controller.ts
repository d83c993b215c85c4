import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { BudgetService, SkipTokenBudget, TokenBudget, TokenBudgetGuard } from 'nestjs-token-budget';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { GatewayUser } from '../auth/api-keys';
import { MockUpstream } from '../upstream/mock-upstream';

type ChatBody = { model?: string } & Record<string, unknown>;

@Controller()
@UseGuards(ApiKeyGuard, TokenBudgetGuard)
export class ChatController {
  constructor(
    private readonly upstream: MockUpstream,
    private readonly budgets: BudgetService,
  ) {}

  @Post('v1/chat/completions')
  @HttpCode(200)
  @TokenBudget({ feature: 'chat' }) // holds the prompt tokens plus max_tokens read from the body
  chat(@Body() body: ChatBody) {
    // a stream is sent as SSE by the interceptor, which commits its usage chunk when it ends
    return body.stream === true ? this.upstream.chatCompletionStream(body) : this.upstream.chatCompletion(body);
  }

  @Post('v1/messages')
  @HttpCode(200)
  @TokenBudget({ feature: 'messages' })
  messages(@Body() body: ChatBody) {
    return body.stream === true ? this.upstream.messageStream(body) : this.upstream.message(body);
  }

  @Get('v1/budget')
  @SkipTokenBudget()
  budget(@Req() req: { user: GatewayUser }) {
    return this.budgets.getUsage({ user: req.user.id, tenant: req.user.tenantId });
  }
}
