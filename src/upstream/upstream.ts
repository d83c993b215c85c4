/** A JSON request body as the caller sent it (its `model` checked). */
export type JsonBody = { model?: string } & Record<string, unknown>;

/** One call to an upstream. */
export interface UpstreamCall {
  body: JsonBody;
  /** Aborted when the caller goes away: the upstream call is cancelled. */
  signal: AbortSignal;
  /** Headers of the caller's request (for the provider headers passed on, e.g. `anthropic-version`). */
  headers: Record<string, string | string[] | undefined>;
  /** Charges the prompt (the hold's input tokens, no output) when a call is cut after the provider had it; set by the proxy routes. */
  chargePrompt?(): void;
}

/**
 * What an upstream answers: the provider's JSON result, or its stream (a fetch `Response` of SSE
 * bytes, or an async iterable of chunk objects), which the token budget interceptor meters and
 * sends on. An error answer is thrown as an `HttpException`.
 */
export type UpstreamResult = Promise<unknown>;

/** Where a provider family's calls go, for the start-up banner: a URL or `built-in mock`. */
export interface Upstream {
  readonly target: string;
}

/** An OpenAI-compatible provider (OpenAI, Groq, Ollama, vLLM...). */
export interface OpenAiUpstream extends Upstream {
  chatCompletions(call: UpstreamCall): UpstreamResult;
  responses(call: UpstreamCall): UpstreamResult;
  embeddings(call: UpstreamCall): UpstreamResult;
}

/** An Anthropic Messages provider. */
export interface AnthropicUpstream extends Upstream {
  messages(call: UpstreamCall): UpstreamResult;
}

export const OPENAI_UPSTREAM = Symbol('OPENAI_UPSTREAM');
export const ANTHROPIC_UPSTREAM = Symbol('ANTHROPIC_UPSTREAM');
