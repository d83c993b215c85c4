import { ArgumentsHost, Catch, HttpException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { BaseExceptionFilter } from '@nestjs/core';
import { BudgetExceededException, TierLimitExceededException } from 'nestjs-token-budget';
import { noteRequest } from '../logging/request-context';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { reasonCode, rejectionReason } from '../metrics/rejection-reason';
import { ApiError, apiErrorBody, isAnthropicPath, isApiPath, UpstreamErrorException } from './api-error';
import { ExhaustedStatus, refusalHeaders, refusalOf } from './refusal';
import { anthropicRefusalBody, openAiRefusalBody } from './refusal-bodies';

/**
 * Every error of the gateway passes here (guards refuse by throwing): each refusal is counted by
 * reason in the metrics and noted for the request's log line. Errors of `/v1/*` routes are then
 * shaped as the provider APIs shape them (see {@link apiErrorBody}), so SDK clients read their
 * message. Budget and tier rate refusals are shaped by {@link refusalOf} (status, `x-should-retry`)
 * and the body of the route's provider. Anthropic errors carry the request's id (`request_id`,
 * `request-id` header). Left as they are: an upstream's own error answer (sent with its retry
 * headers), bodies already shaped, and every other route.
 */
@Catch()
export class ApiErrorFilter extends BaseExceptionFilter {
  private readonly exhaustedStatus: ExhaustedStatus;

  constructor(
    private readonly metrics: GatewayMetrics,
    config: ConfigService,
  ) {
    super();
    this.exhaustedStatus = Number(config.get('BUDGET_EXHAUSTED_STATUS') ?? 402) === 429 ? 429 : 402;
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return super.catch(exception, host);
    const req = host.switchToHttp().getRequest<{ url: string; originalUrl?: string }>();
    const reason = rejectionReason(exception);
    if (reason) this.metrics.rejections.inc({ reason });
    noteRequest(req, { rejection: reason, platform: req as object });
    const path = req.originalUrl ?? req.url;
    if (!isApiPath(path)) return super.catch(exception, host);
    if (exception instanceof UpstreamErrorException)
      return this.reply(host, exception.getStatus(), exception.getResponse() as object, exception.headers);
    const refusal = refusalOf(exception, this.exhaustedStatus);
    if (refusal) {
      const body = isAnthropicPath(path) ? anthropicRefusalBody(refusal, requestIdOf(host)) : openAiRefusalBody(refusal);
      return this.reply(host, refusal.status, body, refusalHeaders(refusal));
    }
    const parser = bodyError(path, exception);
    if (parser) return this.reply(host, parser.status, parser.body);
    if (!(exception instanceof HttpException) || !reshaped(exception)) return super.catch(exception, host);
    const status = exception.getStatus();
    this.reply(
      host,
      status,
      apiErrorBody(
        path,
        status,
        messageOf(exception),
        exception instanceof ApiError ? exception.details : { code: reasonCode(exception.getResponse()) },
      ),
    );
  }

  private reply(host: ArgumentsHost, status: number, body: object, headers: Record<string, string> = {}): void {
    const adapter = this.httpAdapterHost!.httpAdapter;
    const res = host.switchToHttp().getResponse();
    for (const [name, value] of Object.entries(headers)) adapter.setHeader(res, name, value);
    adapter.reply(res, withRequestId(host, body), status);
  }
}

/** The request's id, as the logging middleware assigned it (the `x-request-id` response header). */
function requestIdOf(host: ArgumentsHost): string | undefined {
  const res = host.switchToHttp().getResponse<{ raw?: { getHeader(name: string): unknown }; getHeader?(name: string): unknown }>();
  const id = (res.raw ?? res).getHeader?.('x-request-id');
  return typeof id === 'string' ? id : undefined;
}

/** An Anthropic error body with `request_id` (the SDK's `requestID` comes from the `request-id` header, set by the logging middleware). */
function withRequestId(host: ArgumentsHost, body: object): object {
  const req = host.switchToHttp().getRequest<{ url: string; originalUrl?: string }>();
  if (!isAnthropicPath(req.originalUrl ?? req.url) || (body as { type?: unknown }).type !== 'error' || 'request_id' in body) return body;
  return { ...body, request_id: requestIdOf(host) ?? null };
}

/**
 * An error of the platform's body parser, as Nest hands it to filters (an `HttpException` made
 * from body-parser's or Fastify's error: 413 too large, 415 media type, 400 with the JSON parser's
 * message), shaped to say what to do; `undefined` for any other error.
 */
function bodyError(path: string, exception: unknown): { status: number; body: object } | undefined {
  const shaped = (status: number, body: object) => ({ status, body });
  const parsed = parserError(exception);
  if (!parsed) return undefined;
  const { status, detail } = parsed;
  if (status === 413)
    return shaped(
      413,
      apiErrorBody(path, 413, 'The request body is larger than the gateway accepts (MAX_BODY_BYTES). Send a smaller body.', {
        code: 'request_too_large',
      }),
    );
  if (status === 415)
    return shaped(
      415,
      apiErrorBody(path, 415, 'Send the body as JSON (Content-Type: application/json).', { code: 'unsupported_media_type' }),
    );
  if (status === 400 && /JSON/i.test(detail)) {
    return shaped(
      400,
      apiErrorBody(
        path,
        400,
        `The request body is not valid JSON (${detail}). Send a JSON object, e.g. {"model":"gpt-4o-mini","messages":[...]}.`,
        { code: 'invalid_json' },
      ),
    );
  }
  return undefined;
}

/** Status and message of a body parser error: Nest maps some to an `HttpException`; body-parser's 413 comes as is (`type: 'entity.too.large'`). */
function parserError(exception: unknown): { status: number; detail: string } | undefined {
  if (exception instanceof ApiError || exception instanceof UpstreamErrorException) return undefined;
  if (exception instanceof HttpException) return { status: exception.getStatus(), detail: messageOf(exception) };
  const { type, status, message } = (exception ?? {}) as { type?: unknown; status?: unknown; message?: unknown };
  if (typeof type === 'string' && type.startsWith('entity.') && typeof status === 'number') return { status, detail: String(message) };
  return undefined;
}

function reshaped(exception: HttpException): boolean {
  if (
    exception instanceof BudgetExceededException ||
    exception instanceof TierLimitExceededException ||
    exception instanceof UpstreamErrorException
  )
    return false;
  const body = exception.getResponse();
  return typeof body === 'string' || typeof (body as { error?: unknown }).error !== 'object';
}

function messageOf(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : exception.message;
}
