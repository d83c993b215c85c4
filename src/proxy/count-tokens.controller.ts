import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { estimateRequestBody, SkipTokenBudget } from 'nestjs-token-budget';
import { ApiKeyGuard } from '../keys/api-key.guard';
import type { JsonBody } from '../upstream/upstream';
import { ApiError } from './api-error';
import { ModelRequiredGuard } from './model-required.guard';

/**
 * `POST /v1/messages/count_tokens` (the Anthropic SDK's `messages.countTokens`): the prompt tokens
 * of a Messages body as the library counts them, i.e. the input part of what the gateway holds for
 * the same body on `/v1/messages`. Answered by the gateway itself (never forwarded), not charged,
 * not rate limited.
 */
@Controller('v1/messages')
@UseGuards(ApiKeyGuard, ModelRequiredGuard)
export class CountTokensController {
  @Post('count_tokens')
  @HttpCode(200)
  @SkipTokenBudget()
  countTokens(@Body() body: JsonBody): { input_tokens: number } {
    if (!Array.isArray(body.messages)) {
      throw new ApiError(400, 'messages: Field required (an array of { role, content }, as sent to /v1/messages).', {
        param: 'messages',
        code: 'missing_required_parameter',
      });
    }
    const estimate = estimateRequestBody(body);
    if (!estimate) throw new ApiError(400, 'The body is not a Messages request (model, messages).', { code: 'invalid_body' });
    return { input_tokens: estimate.inputTokens };
  }
}
