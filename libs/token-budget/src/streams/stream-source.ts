/** A stream a handler returned, reduced to what metering needs. */
export interface StreamSource {
  /** Pulls the stream's items (chunk objects, or bytes / text). */
  iterator: AsyncIterator<unknown>;
  /** Stops the producer (aborts the upstream request) when the client went away. */
  abort(): void;
  /** Content type the producer declared, if any. */
  contentType?: string;
  /** True when the producer is an upstream's error answer (a fetch Response with a 4xx / 5xx status): the call did not run. */
  failed?: boolean;
}

/** Calls `iterator.return()` without waiting for it (a pending `next()` may hold it up). */
export function returnQuietly(iterator: AsyncIterator<unknown>): void {
  try {
    const done = iterator.return?.();
    if (done && typeof (done as Promise<unknown>).catch === 'function') (done as Promise<unknown>).catch(() => undefined);
  } catch {
    // already finished
  }
}

export function hasAsyncIterator(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown })?.[Symbol.asyncIterator] === 'function';
}
