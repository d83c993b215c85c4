import { headerOf, HttpUpstream } from './http-upstream';
import type { AnthropicUpstream, UpstreamCall } from './upstream';
import type { UpstreamFailure } from './upstream-errors';
import type { UpstreamLimits } from './upstream-limits';

/** The version header Anthropic requires, when the caller sends none. */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

/** The Anthropic API at a base URL without `/v1` (e.g. `https://api.anthropic.com`), with `x-api-key` and the caller's `anthropic-version` / `anthropic-beta`. */
export class AnthropicHttpUpstream extends HttpUpstream implements AnthropicUpstream {
  protected readonly routePath = '/v1/messages';

  constructor(
    baseUrl: string,
    private readonly apiKey?: string,
    limits?: UpstreamLimits,
  ) {
    super(baseUrl.replace(/\/+$/, ''), limits);
  }

  protected headersOf(call: UpstreamCall): Record<string, string> {
    const headers: Record<string, string> = { 'anthropic-version': headerOf(call, 'anthropic-version') ?? DEFAULT_ANTHROPIC_VERSION };
    const beta = headerOf(call, 'anthropic-beta');
    if (beta) headers['anthropic-beta'] = beta;
    if (this.apiKey) headers['x-api-key'] = this.apiKey;
    return headers;
  }

  /** An Anthropic stream `error` event, as the Anthropic SDK raises it. */
  protected streamErrorEvent(failure: UpstreamFailure): string {
    return `\nevent: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message: `${failure.message} (${failure.code})` } })}\n\n`;
  }

  messages(call: UpstreamCall): Promise<unknown> {
    return this.post(`${this.target}/v1/messages`, call);
  }
}
