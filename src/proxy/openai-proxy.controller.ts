import { Body, Controller, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { TierThrottlerGuard, TokenBudget, TokenBudgetGuard } from 'nestjs-token-budget';
import { ApiKeyGuard } from '../keys/api-key.guard';
import { OPENAI_UPSTREAM, type JsonBody, type OpenAiUpstream } from '../upstream/upstream';
import { PolicyRouteOf } from '../policy/policy-route.decorator';
import { RequestPolicyGuard } from '../policy/request-policy.guard';
import { ModelRequiredGuard } from './model-required.guard';
import { PlatformResponse, ProxyRequest, upstreamCall, withUsageChunk } from './upstream-call';

/**
 * The OpenAI-format routes. Each call is held against the caller's budgets from its body (prompt
 * tokens plus the output limit), forwarded, and charged with the usage the provider reports;
 * streams are metered as they flow. Over its tier's rate, a request is served by the tier's cheaper model.
 */
@Controller('v1')
@UseGuards(ApiKeyGuard, ModelRequiredGuard, RequestPolicyGuard, TierThrottlerGuard, TokenBudgetGuard)
export class OpenAiProxyController {
  constructor(@Inject(OPENAI_UPSTREAM) private readonly upstream: OpenAiUpstream) {}

  @Post('chat/completions')
  @HttpCode(200)
  @TokenBudget({ feature: 'chat' })
  @PolicyRouteOf('chat')
  chat(@Body() body: JsonBody, @Req() req: ProxyRequest, @Res({ passthrough: true }) res: PlatformResponse) {
    return this.upstream.chatCompletions(upstreamCall(withUsageChunk(body), req, res));
  }

  @Post('responses')
  @HttpCode(200)
  @TokenBudget({ feature: 'responses' })
  @PolicyRouteOf('responses')
  responses(@Body() body: JsonBody, @Req() req: ProxyRequest, @Res({ passthrough: true }) res: PlatformResponse) {
    return this.upstream.responses(upstreamCall(body, req, res));
  }

  @Post('embeddings')
  @HttpCode(200)
  // embeddings produce no output, and a body naming a chat model reads as a Responses request: its body is never given an output limit
  @TokenBudget({ feature: 'embeddings', enforceOutputLimit: false })
  @PolicyRouteOf('embeddings')
  embeddings(@Body() body: JsonBody, @Req() req: ProxyRequest, @Res({ passthrough: true }) res: PlatformResponse) {
    return this.upstream.embeddings(upstreamCall(body, req, res));
  }
}
