import { headerOf, HttpUpstream } from './http-upstream';
import type { AnthropicUpstream, UpstreamCall } from './upstream';

/** The version header Anthropic requires, when the caller sends none. */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

/** The Anthropic API at a base URL without `/v1` (e.g. `https://api.anthropic.com`), with `x-api-key` and the caller's `anthropic-version` / `anthropic-beta`. */
export class AnthropicHttpUpstream extends HttpUpstream implements AnthropicUpstream {
  constructor(
    baseUrl: string,
    private readonly apiKey?: string,
  ) {
    super(baseUrl.replace(/\/+$/, ''));
  }

  protected headersOf(call: UpstreamCall): Record<string, string> {
    const headers: Record<string, string> = { 'anthropic-version': headerOf(call, 'anthropic-version') ?? DEFAULT_ANTHROPIC_VERSION };
    const beta = headerOf(call, 'anthropic-beta');
    if (beta) headers['anthropic-beta'] = beta;
    if (this.apiKey) headers['x-api-key'] = this.apiKey;
    return headers;
  }

  messages(call: UpstreamCall): Promise<unknown> {
    return this.post(`${this.target}/v1/messages`, call);
  }
}
