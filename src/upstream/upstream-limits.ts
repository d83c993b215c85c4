/** Bounds of every call the gateway makes to a provider (the `UPSTREAM_*` variables). */
export interface UpstreamLimits {
  /** Until the TCP (and TLS) connection is up. */
  connectTimeoutMs: number;
  /** From the request sent until the answer's status and headers arrive. */
  firstByteTimeoutMs: number;
  /** Longest silence while the gateway waits for more of the answer's body or stream. */
  idleTimeoutMs: number;
  /** Whole call, streams included. */
  totalTimeoutMs: number;
  /** Largest JSON (or error) answer, counted after decompression. */
  maxResponseBytes: number;
  /** Largest stream, counted after decompression. */
  maxStreamBytes: number;
  /** Longest line of a stream (SSE or NDJSON). */
  maxLineBytes: number;
}

/** The bounds when no variable is set: generous for real providers, short of what a hostile one could hold. */
export const DEFAULT_UPSTREAM_LIMITS: Readonly<UpstreamLimits> = Object.freeze({
  connectTimeoutMs: 10_000,
  firstByteTimeoutMs: 300_000,
  idleTimeoutMs: 120_000,
  totalTimeoutMs: 600_000,
  maxResponseBytes: 16 * 1024 * 1024,
  maxStreamBytes: 256 * 1024 * 1024,
  maxLineBytes: 4 * 1024 * 1024,
});

/** The variable of each bound, as the README's environment table lists them. */
export const UPSTREAM_LIMIT_VARIABLES: Readonly<Record<keyof UpstreamLimits, string>> = Object.freeze({
  connectTimeoutMs: 'UPSTREAM_CONNECT_TIMEOUT_MS',
  firstByteTimeoutMs: 'UPSTREAM_FIRST_BYTE_TIMEOUT_MS',
  idleTimeoutMs: 'UPSTREAM_IDLE_TIMEOUT_MS',
  totalTimeoutMs: 'UPSTREAM_TOTAL_TIMEOUT_MS',
  maxResponseBytes: 'UPSTREAM_MAX_RESPONSE_BYTES',
  maxStreamBytes: 'UPSTREAM_MAX_STREAM_BYTES',
  maxLineBytes: 'UPSTREAM_MAX_LINE_BYTES',
});

/** The bounds from validated variables (`get` reads one, e.g. `ConfigService.get`), defaults for those unset. */
export function upstreamLimitsOf(get: (name: string) => unknown): UpstreamLimits {
  const limits = { ...DEFAULT_UPSTREAM_LIMITS };
  for (const [field, name] of Object.entries(UPSTREAM_LIMIT_VARIABLES) as [keyof UpstreamLimits, string][]) {
    const value = get(name);
    if (typeof value === 'number') limits[field] = value;
  }
  return limits;
}
