import { Body, Controller, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { TierThrottlerGuard, TokenBudget, TokenBudgetGuard } from 'nestjs-token-budget';
import { ApiKeyGuard } from '../keys/api-key.guard';
import { ANTHROPIC_UPSTREAM, type AnthropicUpstream, type JsonBody } from '../upstream/upstream';
import { PolicyRouteOf } from '../policy/policy-route.decorator';
import { RequestPolicyGuard } from '../policy/request-policy.guard';
import { ModelRequiredGuard } from './model-required.guard';
import { PlatformResponse, ProxyRequest, upstreamCall } from './upstream-call';

/** The Anthropic Messages route, held, forwarded and charged like the OpenAI routes. */
@Controller('v1')
@UseGuards(ApiKeyGuard, ModelRequiredGuard, RequestPolicyGuard, TierThrottlerGuard, TokenBudgetGuard)
export class AnthropicProxyController {
  constructor(@Inject(ANTHROPIC_UPSTREAM) private readonly upstream: AnthropicUpstream) {}

  @Post('messages')
  @HttpCode(200)
  @TokenBudget({ feature: 'messages' })
  @PolicyRouteOf('messages')
  messages(@Body() body: JsonBody, @Req() req: ProxyRequest, @Res({ passthrough: true }) res: PlatformResponse) {
    return this.upstream.messages(upstreamCall(body, req, res));
  }
}
