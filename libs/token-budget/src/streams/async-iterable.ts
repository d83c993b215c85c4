import { hasAsyncIterator, returnQuietly, StreamSource } from './stream-source';

/** Any async iterable (an async generator, a stream of chunk objects or of bytes). */
export function asyncIterableSource(value: unknown): StreamSource | undefined {
  if (!hasAsyncIterator(value)) return undefined;
  const iterator = value[Symbol.asyncIterator]();
  return { iterator, abort: () => returnQuietly(iterator) };
}
