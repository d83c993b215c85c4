import { Logger } from '@nestjs/common';
import { ApiError, RETRY_HEADERS, UpstreamErrorException } from '../proxy/api-error';
import type { UpstreamCall } from './upstream';

/**
 * The result of a call whose caller went away before the provider answered (the call is then
 * aborted): the provider already has the request and may bill it, so the result carries no usage
 * and the hold's estimate is committed, as for any answer without usage. It is sent nowhere.
 */
export const CALLER_GONE: object = Object.freeze({});

/**
 * Forwards calls to a provider's HTTP API with global `fetch`, with the headers `headersOf` gives
 * (the server's own key, never the caller's). Results come back as the provider sent them: JSON
 * parsed, a stream as the fetch `Response` (its SSE bytes reach the caller unchanged). An error
 * status is thrown on with the provider's status, body and retry headers; an upstream that cannot
 * be reached is a 502. The call is aborted when the caller goes away (see {@link CALLER_GONE}).
 */
export abstract class HttpUpstream {
  private readonly logger = new Logger(HttpUpstream.name);

  /** @param target the base URL, for logs and the start-up banner */
  constructor(readonly target: string) {}

  /** Headers of one call besides `content-type` and `accept`. */
  protected abstract headersOf(call: UpstreamCall): Record<string, string>;

  protected async post(url: string, call: UpstreamCall): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: call.body.stream === true ? 'text/event-stream' : 'application/json', ...this.headersOf(call) },
        body: JSON.stringify(call.body),
        signal: call.signal,
      });
    } catch (error) {
      if (call.signal.aborted) return CALLER_GONE;
      throw this.unreachable(url, error);
    }
    if (!response.ok) throw await errorAnswer(response);
    if (response.headers.get('content-type')?.includes('text/event-stream')) return response;
    try {
      return await response.json();
    } catch (error) {
      if (call.signal.aborted) return CALLER_GONE;
      throw this.unreachable(url, error);
    }
  }

  private unreachable(url: string, error: unknown): ApiError {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    this.logger.warn(`Upstream ${url} failed: ${cause}`);
    return new ApiError(502, `The upstream provider at ${this.target} could not be reached or sent an unreadable answer (${cause}). Check UPSTREAM_OPENAI_URL / UPSTREAM_ANTHROPIC_URL and that the provider is up.`);
  }
}

/** The provider's error answer: its status, its JSON body (text wrapped in the OpenAI shape) and its retry headers. */
async function errorAnswer(response: Response): Promise<UpstreamErrorException> {
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (typeof body !== 'object' || body === null) {
    body = { error: { message: text || response.statusText || `Upstream answered ${response.status}`, type: 'upstream_error', param: null, code: null } };
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (RETRY_HEADERS.test(name)) headers[name] = value;
  });
  return new UpstreamErrorException(body as object, response.status, headers);
}

/** A header of the caller's request, several values joined. */
export function headerOf(call: UpstreamCall, name: string): string | undefined {
  const value = call.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
