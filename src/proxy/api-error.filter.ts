import { ArgumentsHost, Catch, HttpException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { BudgetExceededException, TierLimitExceededException } from 'nestjs-token-budget';
import { ApiError, apiErrorBody, isApiPath, UpstreamErrorException } from './api-error';

/**
 * Errors of `/v1/*` routes as the provider APIs shape them (see {@link apiErrorBody}), so SDK
 * clients read their message. Left as they are: the library's 429 bodies, an upstream's own error
 * answer, bodies already shaped, and every other route.
 */
@Catch()
export class ApiErrorFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<{ url: string; originalUrl?: string }>();
    const path = req.originalUrl ?? req.url;
    if (!(exception instanceof HttpException) || !isApiPath(path) || !reshaped(exception)) return super.catch(exception, host);
    const status = exception.getStatus();
    const body = apiErrorBody(path, status, messageOf(exception), exception instanceof ApiError ? exception.details : {});
    this.httpAdapterHost!.httpAdapter.reply(host.switchToHttp().getResponse(), body, status);
  }
}

function reshaped(exception: HttpException): boolean {
  if (exception instanceof BudgetExceededException || exception instanceof TierLimitExceededException || exception instanceof UpstreamErrorException) return false;
  const body = exception.getResponse();
  return typeof body === 'string' || typeof (body as { error?: unknown }).error !== 'object';
}

function messageOf(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : exception.message;
}
