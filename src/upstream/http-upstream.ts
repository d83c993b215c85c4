import { Logger, StreamableFile } from '@nestjs/common';
import { redactUrl } from '../logging/redaction';
import { apiErrorBody, RETRY_HEADERS, UpstreamErrorException } from '../proxy/api-error';
import { BoundedStream, readBounded } from './bounded-body';
import { boundedRequest, type BoundedResponse } from './bounded-request';
import { UpstreamFailure } from './upstream-errors';
import { DEFAULT_UPSTREAM_LIMITS, type UpstreamLimits } from './upstream-limits';
import type { UpstreamCall } from './upstream';

/**
 * The result of a call whose caller went away before the provider answered (the call is then
 * aborted): the provider already has the request and may bill it, so the result carries no usage
 * and the hold's estimate is committed, as for any answer without usage. It is sent nowhere.
 */
export const CALLER_GONE: object = Object.freeze({});

/** Largest error answer read from a provider (a larger one is answered as not JSON). */
const MAX_ERROR_BYTES = 64 * 1024;

/**
 * Forwards calls to a provider's HTTP API (node:http / node:https, keep-alive), with the headers
 * `headersOf` gives (the server's own key, never the caller's), every call bounded by
 * {@link UpstreamLimits}. Results come back as the provider sent them: JSON parsed (it must be a
 * JSON object), a stream as a `StreamableFile` passing its SSE bytes on in whole lines (see
 * {@link BoundedStream}). A provider's JSON error answer is thrown on with its status, body and
 * retry headers; a 401 / 403 (the server's key refused) is a 502 `upstream_auth_failed`, a non-JSON
 * error a generic message with its status, and a call cut by a bound a 502 / 504 with its code
 * (see `UPSTREAM_ERRORS`): what the provider sent goes to the log, never to the caller. A call cut
 * after the provider had the request charges its prompt. The call is aborted when the caller goes
 * away (see {@link CALLER_GONE}).
 */
export abstract class HttpUpstream {
  protected readonly logger = new Logger(HttpUpstream.name);

  /**
   * @param target the base URL, for logs and the start-up banner
   * @param limits the bounds of every call
   */
  constructor(
    readonly target: string,
    protected readonly limits: UpstreamLimits = DEFAULT_UPSTREAM_LIMITS,
  ) {}

  /** Headers of one call besides `content-type` and `accept`. */
  protected abstract headersOf(call: UpstreamCall): Record<string, string>;

  /** A path of the routes this upstream serves, so its errors take their provider's shape. */
  protected abstract readonly routePath: string;

  /** The last event of a stream cut after it started, in the provider's error shape. */
  protected abstract streamErrorEvent(failure: UpstreamFailure): string;

  protected async post(url: string, call: UpstreamCall): Promise<unknown> {
    const accept = call.body.stream === true ? 'text/event-stream' : 'application/json';
    let response: BoundedResponse;
    try {
      response = await boundedRequest(
        url,
        { 'content-type': 'application/json', accept, ...this.headersOf(call) },
        JSON.stringify(call.body),
        call.signal,
        this.limits,
      );
    } catch (error) {
      if (call.signal.aborted) return CALLER_GONE;
      throw this.failed(url, call, asFailure(error));
    }
    if (response.status < 200 || response.status > 299) throw await this.errorAnswer(url, response);
    if (String(response.headers['content-type']).includes('text/event-stream')) return this.stream(url, call, response);
    let text: string;
    try {
      text = (await readBounded(response.body, this.limits.maxResponseBytes, this.limits.idleTimeoutMs)).toString('utf8');
    } catch (error) {
      if (call.signal.aborted) return CALLER_GONE;
      throw this.failed(url, call, asFailure(error));
    }
    const result = parseJson(text);
    if (typeof result !== 'object' || result === null) {
      throw this.failed(
        url,
        call,
        new UpstreamFailure(
          'upstream_invalid_response',
          `200 with ${text ? `a body that is not a JSON object: ${snippet(text)}` : 'an empty body'}`,
        ),
      );
    }
    return result;
  }

  private stream(url: string, call: UpstreamCall, response: BoundedResponse): StreamableFile {
    const body = new BoundedStream(response.body, {
      maxStreamBytes: this.limits.maxStreamBytes,
      maxLineBytes: this.limits.maxLineBytes,
      idleMs: this.limits.idleTimeoutMs,
      errorEvent: (failure) => this.streamErrorEvent(failure),
      onCutBeforeStart: () => call.chargePrompt?.(),
      onFailure: (failure) => {
        if (!call.signal.aborted) this.logger.warn(`Upstream ${redactUrl(url)} stream cut (${failure.code}): ${failure.detail}`);
      },
    });
    return new StreamableFile(body, { type: String(response.headers['content-type']) });
  }

  /** Logs a failed call and charges its prompt when the provider had the request. */
  private failed(url: string, call: UpstreamCall, failure: UpstreamFailure): UpstreamFailure {
    this.logger.warn(`Upstream ${redactUrl(url)} call failed (${failure.code}): ${failure.detail}`);
    if (failure.code !== 'upstream_connect_timeout' && failure.code !== 'upstream_unavailable') call.chargePrompt?.();
    return failure;
  }

  /** The provider's error answer: its JSON body with its status and retry headers; a refused server key or a body that is not JSON shows nothing of the provider's text. */
  private async errorAnswer(url: string, response: BoundedResponse): Promise<Error> {
    const text = await readBounded(response.body, MAX_ERROR_BYTES, this.limits.idleTimeoutMs).then(
      (bytes) => bytes.toString('utf8'),
      () => '',
    );
    const { status } = response;
    if (status === 401 || status === 403) {
      this.logger.error(
        `Upstream ${redactUrl(url)} refused the gateway's credentials (${status}): ${snippet(text)}. Check OPENAI_API_KEY / ANTHROPIC_API_KEY.`,
      );
      return new UpstreamFailure('upstream_auth_failed', `${status}`);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (RETRY_HEADERS.test(name) && value !== undefined) headers[name] = String(value);
    }
    const body = parseJson(text);
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) return new UpstreamErrorException(body, status, headers);
    this.logger.warn(`Upstream ${redactUrl(url)} answered ${status} with a body that is not JSON: ${snippet(text)}`);
    const message = `The upstream provider answered ${status} without a readable error.`;
    return new UpstreamErrorException(
      apiErrorBody(this.routePath, status, message, { code: 'upstream_error', type: 'upstream_error' }),
      status,
      headers,
    );
  }
}

function asFailure(error: unknown): UpstreamFailure {
  if (error instanceof UpstreamFailure) return error;
  return new UpstreamFailure('upstream_unavailable', error instanceof Error ? error.message : String(error));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The start of a provider's text, on one line, for a log. */
function snippet(text: string): string {
  return JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}…` : text);
}

/** A header of the caller's request, several values joined. */
export function headerOf(call: UpstreamCall, name: string): string | undefined {
  const value = call.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
