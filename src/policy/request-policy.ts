import type { ModelPricing } from 'nestjs-token-budget';

/** The routes a request policy applies to: chat completions, responses, embeddings, messages. */
export const POLICY_ROUTES = ['chat', 'responses', 'embeddings', 'messages'] as const;
export type PolicyRoute = (typeof POLICY_ROUTES)[number];

/**
 * What may go upstream on one route (or every route, at the top of {@link RequestPolicyOptions}).
 * Unset fields take the top level's value, else the default.
 */
export interface RoutePolicy {
  /**
   * Forward `background: true` (Responses): the answer's usage is not known when the gateway
   * answers, so nothing but the hold's estimate is charged.
   * @default false (refused)
   */
  background?: boolean;
  /**
   * Forward references to objects stored in the operator's provider account: `file_id` /
   * `file_ids` in content, `previous_response_id`, `conversation`, `prompt` with an id, item
   * references, `vector_store_ids`, a code interpreter container id, Anthropic `container` and
   * `source: { type: 'file' }` blocks. Their tokens are billed but cannot be counted beforehand.
   * @default false (refused)
   */
  storedObjects?: boolean;
  /**
   * Server-side tools that may go upstream, by type, with their price in USD per call (0: forwarded
   * without an extra charge). A request enabling a priced tool holds and is charged that price per
   * call (Anthropic `max_uses` calls when the tool sets it, else one). Unlisted server tools are
   * refused. Types are written without their date suffix (`web_search_20250305` is `web_search`;
   * `web_search_preview_2025_03_11` is `web_search_preview`); chat completions' `web_search_options`
   * is `web_search`, Anthropic `mcp_servers` is `mcp` (per server).
   * @default {} (every server tool refused; function / custom tools and Anthropic's client-run
   * bash, text_editor, computer and memory tools always pass)
   * @example { web_search: 0.01, file_search: 0.0025, web_fetch: 0 }
   */
  tools?: Record<string, number>;
  /**
   * `anthropic-beta` values forwarded on `/v1/messages`, besides the built-in ones that change no
   * price ({@link SAFE_ANTHROPIC_BETAS}).
   * @default []
   * @example ['files-api-2025-04-14']
   */
  betas?: string[];
  /**
   * A strict allow-list of top-level body fields (`model` always passes); any other field is refused.
   * @default undefined (every field not refused by the rules above passes)
   * @example ['model', 'messages', 'max_tokens', 'temperature', 'stream']
   */
  fields?: string[];
  /**
   * Top-level body fields refused on this route.
   * @default []
   * @example ['store', 'metadata']
   */
  refuseFields?: string[];
}

/**
 * The gateway's request policy: which body fields, tools and beta flags go upstream under the
 * operator's key, and what to do with a model the gateway cannot price.
 */
export interface RequestPolicyOptions extends RoutePolicy {
  /** Per-route rules over the top-level ones (each field replaces the top level's). */
  routes?: Partial<Record<PolicyRoute, RoutePolicy>>;
  /**
   * A model the gateway cannot price (unknown to the catalog and to `pricing`, or a local-looking
   * `name:tag`) on a paid upstream while some budget has a cost limit: `'refuse'` answers 400
   * `unpriced_model`; a price (USD per million tokens) holds and charges it at that price.
   * @default 'refuse'
   * @example { input: 5, output: 15 }
   */
  unpricedModels?: 'refuse' | ModelPricing;
  /**
   * Whether the upstreams bill: `'auto'` counts the built-in mock, loopback hosts and Ollama's
   * port 11434 as free and any other URL as paid.
   * @default 'auto'
   */
  paidUpstream?: 'auto' | boolean;
  /**
   * What happens to an `anthropic-beta` value that is not allowed: `'refuse'` answers 400,
   * `'drop'` forwards the request without it.
   * @default 'refuse'
   */
  unknownBetas?: 'refuse' | 'drop';
}

/** `anthropic-beta` values forwarded by default: they change what a call may do, not how it is priced. */
export const SAFE_ANTHROPIC_BETAS: readonly string[] = [
  'prompt-caching-2024-07-31',
  'token-efficient-tools-2025-02-19',
  'interleaved-thinking-2025-05-14',
  'fine-grained-tool-streaming-2025-05-14',
  'output-128k-2025-02-19',
  'token-counting-2024-11-01',
];

/** Anthropic tools run by the client (they cost only their tokens): never refused. */
export const CLIENT_ANTHROPIC_TOOLS: readonly string[] = ['bash', 'text_editor', 'computer', 'memory'];

/** OpenAI tools run by the client: never refused. Every other tool type is a server-side tool. */
export const CLIENT_OPENAI_TOOLS: readonly string[] = ['function', 'custom', 'local_shell', 'shell', 'apply_patch'];

/** One route's rules with every default filled in. */
export interface ResolvedRoutePolicy {
  background: boolean;
  storedObjects: boolean;
  tools: Readonly<Record<string, number>>;
  betas: ReadonlySet<string>;
  fields: ReadonlySet<string> | undefined;
  refuseFields: ReadonlySet<string>;
}

/** The route's rules: its own fields, else the top level's, else the defaults. */
export function routePolicyOf(options: RequestPolicyOptions, route: PolicyRoute): ResolvedRoutePolicy {
  const own = options.routes?.[route] ?? {};
  const pick = <K extends keyof RoutePolicy>(key: K): RoutePolicy[K] => (own[key] !== undefined ? own[key] : options[key]);
  const fields = pick('fields');
  return {
    background: pick('background') ?? false,
    storedObjects: pick('storedObjects') ?? false,
    tools: { ...(pick('tools') ?? {}) },
    betas: new Set([...SAFE_ANTHROPIC_BETAS, ...(pick('betas') ?? [])]),
    fields: fields ? new Set(['model', ...fields]) : undefined,
    refuseFields: new Set(pick('refuseFields') ?? []),
  };
}
