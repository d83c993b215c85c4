import type { Server } from 'node:http';
import type { GatewayEnv } from './env.validation';

/** Bounds of the gateway's own HTTP server (the `HTTP_*` variables). */
export interface ServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/** When no variable is set: a client has 20 s to send its headers and 60 s for its whole request; at most 1024 connections. */
export const DEFAULT_SERVER_LIMITS: Readonly<ServerLimits> = Object.freeze({
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
});

export function serverLimitsOf(env: GatewayEnv): ServerLimits {
  const d = DEFAULT_SERVER_LIMITS;
  const requestTimeoutMs = env.HTTP_REQUEST_TIMEOUT_MS ?? d.requestTimeoutMs;
  return {
    // Node wants the headers' bound no longer than the request's
    headersTimeoutMs: Math.min(env.HTTP_HEADERS_TIMEOUT_MS ?? d.headersTimeoutMs, requestTimeoutMs),
    requestTimeoutMs,
    keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS ?? d.keepAliveTimeoutMs,
    maxConnections: env.HTTP_MAX_CONNECTIONS ?? d.maxConnections,
  };
}

/**
 * Applies the bounds to the app's server before it listens: a slow client (headers or body
 * trickled in) is cut at its timeout (408, or the socket closed), and connections past the cap are
 * closed on arrival. Node checks the two timeouts every `connectionsCheckingInterval` (30 s by
 * default): set to a quarter of the headers' bound, at most 1 s, so a bound holds to within a second.
 */
export function applyServerLimits(server: Server, limits: ServerLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    1_000,
    Math.floor(limits.headersTimeoutMs / 4),
  );
}
