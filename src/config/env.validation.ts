import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, validateSync } from 'class-validator';

const HTTP_URL = /^https?:\/\/[^\s]+$/;

/** The bounds of upstream calls (see `upstream-limits.ts`) and of the HTTP server (see `server-limits.ts`). */
const BOUND_VARIABLES = [
  'UPSTREAM_CONNECT_TIMEOUT_MS',
  'UPSTREAM_FIRST_BYTE_TIMEOUT_MS',
  'UPSTREAM_IDLE_TIMEOUT_MS',
  'UPSTREAM_TOTAL_TIMEOUT_MS',
  'UPSTREAM_MAX_RESPONSE_BYTES',
  'UPSTREAM_MAX_STREAM_BYTES',
  'UPSTREAM_MAX_LINE_BYTES',
  'HTTP_HEADERS_TIMEOUT_MS',
  'HTTP_REQUEST_TIMEOUT_MS',
  'HTTP_KEEP_ALIVE_TIMEOUT_MS',
  'HTTP_MAX_CONNECTIONS',
] as const;

/** Environment of the example gateway; every variable is optional. */
export class GatewayEnv {
  /** Port to listen on (0: any free port, printed at start-up). Default 3000. */
  @IsOptional() @IsInt() @Min(0) @Max(65535) PORT?: number;
  /** Address to listen on. Default 127.0.0.1 (set 0.0.0.0 in a container). */
  @IsOptional() @IsString() @Matches(/^[\w.:-]+$/, { message: 'must be a host name or an IP address, e.g. 0.0.0.0' }) HOST?: string;
  /** Largest request body accepted, in bytes; a larger one gets 413. Default 1048576 (1 MiB). */
  @IsOptional() @IsInt() @Min(1024) @Max(104_857_600) MAX_BODY_BYTES?: number;
  /** HTTP platform. Default express. */
  @IsOptional() @IsIn(['express', 'fastify']) PLATFORM?: 'express' | 'fastify';
  /** Redis for budgets, keys and rate limits shared across instances. Default: in-memory. */
  @IsOptional() @IsString() @Matches(/^rediss?:\/\//, { message: 'must be a redis:// or rediss:// URL' }) REDIS_URL?: string;
  /** Monthly token budget per user; 0 = unlimited. Default 100000. */
  @IsOptional() @IsInt() @Min(0) MONTHLY_TOKENS_PER_USER?: number;
  /** Daily token budget of the whole gateway. Default 0 (unlimited). */
  @IsOptional() @IsInt() @Min(0) DAILY_TOKENS_GLOBAL?: number;
  /** Base URL of an OpenAI-compatible upstream (OpenAI, Groq, Ollama), e.g. https://api.openai.com/v1. Default: the built-in mock upstream. */
  @IsOptional() @IsString() @Matches(HTTP_URL, { message: 'must be an http:// or https:// URL' }) UPSTREAM_OPENAI_URL?: string;
  /** API key sent to the OpenAI-compatible upstream. */
  @IsOptional() @IsString() OPENAI_API_KEY?: string;
  /** Base URL of an Anthropic upstream, e.g. https://api.anthropic.com. Default: the built-in mock upstream. */
  @IsOptional() @IsString() @Matches(HTTP_URL, { message: 'must be an http:// or https:// URL' }) UPSTREAM_ANTHROPIC_URL?: string;
  /** API key sent to the Anthropic upstream. */
  @IsOptional() @IsString() ANTHROPIC_API_KEY?: string;
  /** A YAML or JSON file with the budget and tier options (see `token-budget validate-config`). */
  @IsOptional() @IsString() TOKEN_BUDGET_CONFIG?: string;
  /**
   * Key of the admin endpoints and the /admin dashboard. Required when an upstream URL is set.
   * Default (built-in mock only): a random key, printed on a terminal, else written to ADMIN_KEY_FILE.
   */
  @IsOptional() @IsString() @MinLength(16) @MaxLength(256) ADMIN_KEY?: string;
  /** Where a generated admin key is written (mode 0600) when stdout is not a terminal. Default: a new directory under the OS temp dir. */
  @IsOptional() @IsString() @MinLength(1) @MaxLength(4096) ADMIN_KEY_FILE?: string;
  /** Seed the demo keys (sk-demo-alice, sk-demo-bob): `1` or `0`. Default: only when every upstream is the built-in mock. */
  @IsOptional() @IsIn(['0', '1', 'true', 'false']) DEMO_KEYS?: '0' | '1' | 'true' | 'false';
  /** Status of a budget refusal that waiting cannot help: 402 (no client retries it) or 429 (as OpenAI's insufficient_quota). Default 402. */
  @IsOptional() @IsIn([402, 429]) BUDGET_EXHAUSTED_STATUS?: 402 | 429;
  /** Lowest level of the JSON logs (`silent` turns them off). Default info. */
  @IsOptional() @IsIn(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']) LOG_LEVEL?:
    'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** On SIGTERM / SIGINT, how long in-flight requests (streams too) may take to finish before they are cut. Default 10000. */
  @IsOptional() @IsInt() @Min(0) @Max(600_000) SHUTDOWN_TIMEOUT_MS?: number;
  /** Upstream calls: time to connect (TCP and TLS), in ms; past it 504 `upstream_connect_timeout`. Default 10000. */
  @IsOptional() @IsInt() @Min(1) @Max(600_000) UPSTREAM_CONNECT_TIMEOUT_MS?: number;
  /** Upstream calls: time from the request sent to the answer's status and headers, in ms; past it 504 `upstream_first_byte_timeout`. Default 300000. */
  @IsOptional() @IsInt() @Min(1) @Max(3_600_000) UPSTREAM_FIRST_BYTE_TIMEOUT_MS?: number;
  /** Upstream calls: longest silence inside an answer's body or stream, in ms; past it 504 `upstream_idle_timeout`. Default 120000. */
  @IsOptional() @IsInt() @Min(1) @Max(3_600_000) UPSTREAM_IDLE_TIMEOUT_MS?: number;
  /** Upstream calls: longest whole call, streams included, in ms; past it 504 `upstream_total_timeout`. Default 600000. */
  @IsOptional() @IsInt() @Min(1) @Max(86_400_000) UPSTREAM_TOTAL_TIMEOUT_MS?: number;
  /** Largest JSON answer of an upstream after decompression, in bytes; past it 502 `upstream_response_too_large`. Default 16777216 (16 MiB). */
  @IsOptional() @IsInt() @Min(1024) @Max(1_073_741_824) UPSTREAM_MAX_RESPONSE_BYTES?: number;
  /** Largest streamed answer of an upstream after decompression, in bytes; past it the stream is cut (`upstream_response_too_large`). Default 268435456 (256 MiB). */
  @IsOptional() @IsInt() @Min(1024) @Max(17_179_869_184) UPSTREAM_MAX_STREAM_BYTES?: number;
  /** Longest line of an upstream stream, in bytes; past it the stream is cut (`upstream_line_too_long`). Default 4194304 (4 MiB). */
  @IsOptional() @IsInt() @Min(1024) @Max(268_435_456) UPSTREAM_MAX_LINE_BYTES?: number;
  /** Time a client has to send a request's headers, in ms (Node `server.headersTimeout`). Default 20000. */
  @IsOptional() @IsInt() @Min(1000) @Max(600_000) HTTP_HEADERS_TIMEOUT_MS?: number;
  /** Time a client has to send a whole request, body included, in ms (Node `server.requestTimeout`; answers are not bounded by it). Default 60000. */
  @IsOptional() @IsInt() @Min(1000) @Max(3_600_000) HTTP_REQUEST_TIMEOUT_MS?: number;
  /** How long an idle keep-alive connection stays open, in ms (Node `server.keepAliveTimeout`; above a load balancer's idle timeout). Default 5000. */
  @IsOptional() @IsInt() @Min(0) @Max(600_000) HTTP_KEEP_ALIVE_TIMEOUT_MS?: number;
  /** Most client connections open at once (Node `server.maxConnections`); more are closed on arrival. Default 1024. */
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000) HTTP_MAX_CONNECTIONS?: number;
  /** Pause between the chunks the built-in mock upstream streams, in ms (to watch or test long streams). Default 0. */
  @IsOptional() @IsInt() @Min(0) @Max(60_000) MOCK_STREAM_DELAY_MS?: number;
}

const VARIABLES = [
  'PORT',
  'HOST',
  'MAX_BODY_BYTES',
  'PLATFORM',
  'REDIS_URL',
  'MONTHLY_TOKENS_PER_USER',
  'DAILY_TOKENS_GLOBAL',
  'UPSTREAM_OPENAI_URL',
  'OPENAI_API_KEY',
  'UPSTREAM_ANTHROPIC_URL',
  'ANTHROPIC_API_KEY',
  'TOKEN_BUDGET_CONFIG',
  'ADMIN_KEY',
  'ADMIN_KEY_FILE',
  'DEMO_KEYS',
  'BUDGET_EXHAUSTED_STATUS',
  'LOG_LEVEL',
  'SHUTDOWN_TIMEOUT_MS',
  'MOCK_STREAM_DELAY_MS',
  ...BOUND_VARIABLES,
] as const;
const NUMERIC = new Set<string>([
  'PORT',
  'MAX_BODY_BYTES',
  'MONTHLY_TOKENS_PER_USER',
  'DAILY_TOKENS_GLOBAL',
  'SHUTDOWN_TIMEOUT_MS',
  'MOCK_STREAM_DELAY_MS',
  'BUDGET_EXHAUSTED_STATUS',
  ...BOUND_VARIABLES,
]);

/** Request body limit when `MAX_BODY_BYTES` is unset: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

/** ConfigModule `validate`: stops the boot naming each bad variable. */
export function validateEnv(raw: Record<string, unknown>): GatewayEnv {
  const env = new GatewayEnv();
  for (const name of VARIABLES) {
    const value = raw[name];
    if (value === undefined || value === '') continue;
    (env as Record<string, unknown>)[name] = NUMERIC.has(name) && /^\d+$/.test(String(value)) ? Number(value) : value;
  }
  const errors = validateSync(env);
  if (errors.length) {
    const lines = errors.flatMap((e) =>
      Object.values(e.constraints ?? {}).map((m) => `  - ${e.property}: ${m.replace(`${e.property} `, '')}`),
    );
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  return { ...raw, ...env };
}
