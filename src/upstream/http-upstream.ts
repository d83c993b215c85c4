import { Logger } from '@nestjs/common';
import { ApiError, RETRY_HEADERS, UpstreamErrorException } from '../proxy/api-error';
import type { AnthropicUpstream, OpenAiUpstream, UpstreamCall } from './upstream';

/** Headers sent to the upstream for one call: the server's own key, never the caller's. */
type UpstreamHeaders = (call: UpstreamCall) => Record<string, string>;

/** The version header Anthropic requires, when the caller sends none. */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

/**
 * Forwards calls to a provider's HTTP API with global `fetch`. Results come back as the provider
 * sent them: JSON parsed, a stream as the fetch `Response` (its SSE bytes reach the caller
 * unchanged). An error status is thrown on with the provider's status and body; an upstream that
 * cannot be reached is a 502.
 */
export class HttpUpstream implements OpenAiUpstream, AnthropicUpstream {
  private readonly logger = new Logger(HttpUpstream.name);

  private constructor(
    readonly target: string,
    private readonly paths: { chat: string; responses: string; embeddings: string; messages: string },
    private readonly headersOf: UpstreamHeaders,
  ) {}

  /** An OpenAI-compatible API at `baseUrl` (ending in `/v1`), with `Authorization: Bearer <apiKey>` when a key is set. */
  static openai(baseUrl: string, apiKey?: string): HttpUpstream {
    const base = baseUrl.replace(/\/+$/, '');
    const auth: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
    return new HttpUpstream(base, { chat: `${base}/chat/completions`, responses: `${base}/responses`, embeddings: `${base}/embeddings`, messages: `${base}/messages` }, () => auth);
  }

  /** The Anthropic API at `baseUrl` (e.g. `https://api.anthropic.com`), with `x-api-key` and the caller's `anthropic-version` / `anthropic-beta`. */
  static anthropic(baseUrl: string, apiKey?: string): HttpUpstream {
    const base = baseUrl.replace(/\/+$/, '');
    const messages = `${base}/v1/messages`;
    return new HttpUpstream(base, { chat: messages, responses: messages, embeddings: messages, messages }, (call) => {
      const headers: Record<string, string> = { 'anthropic-version': headerOf(call, 'anthropic-version') ?? DEFAULT_ANTHROPIC_VERSION };
      const beta = headerOf(call, 'anthropic-beta');
      if (beta) headers['anthropic-beta'] = beta;
      if (apiKey) headers['x-api-key'] = apiKey;
      return headers;
    });
  }

  chatCompletions(call: UpstreamCall): Promise<unknown> {
    return this.post(this.paths.chat, call);
  }

  responses(call: UpstreamCall): Promise<unknown> {
    return this.post(this.paths.responses, call);
  }

  embeddings(call: UpstreamCall): Promise<unknown> {
    return this.post(this.paths.embeddings, call);
  }

  messages(call: UpstreamCall): Promise<unknown> {
    return this.post(this.paths.messages, call);
  }

  private async post(url: string, call: UpstreamCall): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: call.body.stream === true ? 'text/event-stream' : 'application/json', ...this.headersOf(call) },
        body: JSON.stringify(call.body),
        signal: call.signal,
      });
    } catch (error) {
      throw this.unreachable(url, error);
    }
    if (!response.ok) throw await errorAnswer(response);
    if (response.headers.get('content-type')?.includes('text/event-stream')) return response;
    try {
      return await response.json();
    } catch (error) {
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

function headerOf(call: UpstreamCall, name: string): string | undefined {
  const value = call.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
