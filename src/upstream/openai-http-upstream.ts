import { HttpUpstream } from './http-upstream';
import type { OpenAiUpstream, UpstreamCall } from './upstream';

/** An OpenAI-compatible API (OpenAI, Groq, Ollama...) at a base URL ending in `/v1`, with `Authorization: Bearer <apiKey>` when a key is set. */
export class OpenAiHttpUpstream extends HttpUpstream implements OpenAiUpstream {
  private readonly auth: Record<string, string>;

  constructor(baseUrl: string, apiKey?: string) {
    super(baseUrl.replace(/\/+$/, ''));
    this.auth = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  }

  protected headersOf(): Record<string, string> {
    return this.auth;
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
