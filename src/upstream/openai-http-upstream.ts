import { HttpUpstream } from './http-upstream';
import type { OpenAiUpstream, UpstreamCall } from './upstream';
import type { UpstreamFailure } from './upstream-errors';
import type { UpstreamLimits } from './upstream-limits';

/** An OpenAI-compatible API (OpenAI, Groq, Ollama...) at a base URL ending in `/v1`, with `Authorization: Bearer <apiKey>` when a key is set. */
export class OpenAiHttpUpstream extends HttpUpstream implements OpenAiUpstream {
  protected readonly routePath = '/v1/chat/completions';
  private readonly auth: Record<string, string>;

  constructor(baseUrl: string, apiKey?: string, limits?: UpstreamLimits) {
    super(baseUrl.replace(/\/+$/, ''), limits);
    this.auth = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  }

  protected headersOf(): Record<string, string> {
    return this.auth;
  }

  /** An OpenAI stream error, as the `openai` SDK raises it: a `data:` event with an `error` object. */
  protected streamErrorEvent(failure: UpstreamFailure): string {
    return `\ndata: ${JSON.stringify({ error: { message: failure.message, type: 'upstream_error', param: null, code: failure.code } })}\n\n`;
  }

  chatCompletions(call: UpstreamCall): Promise<unknown> {
    return this.post(`${this.target}/chat/completions`, call);
  }

  responses(call: UpstreamCall): Promise<unknown> {
    return this.post(`${this.target}/responses`, call);
  }

  embeddings(call: UpstreamCall): Promise<unknown> {
    return this.post(`${this.target}/embeddings`, call);
  }
}
