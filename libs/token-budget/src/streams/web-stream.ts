import { returnQuietly, StreamSource } from './stream-source';

/**
 * A WHATWG `ReadableStream` (e.g. `stream.toReadableStream()` of an SDK stream) or a fetch
 * `Response` (its body, with its content type), as a proxy route returns `fetch(upstream)`.
 */
export function webStreamSource(value: unknown): StreamSource | undefined {
  if (typeof Response !== 'undefined' && value instanceof Response) {
    if (!value.body) return undefined;
    const source = webStreamSource(value.body);
    return source && { ...source, contentType: value.headers.get('content-type') ?? undefined, failed: !value.ok };
  }
  if (typeof ReadableStream === 'undefined' || !(value instanceof ReadableStream)) return undefined;
  const iterator = (value as unknown as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  return { iterator, abort: () => returnQuietly(iterator) };
}
