import { asyncIterableSource } from './async-iterable';
import { nodeReadableSource } from './node-readable';
import { sdkStreamSource } from './sdk-stream';
import { StreamSource } from './stream-source';
import { webStreamSource } from './web-stream';

/**
 * The stream behind a handler result, or `undefined` for a single result: SDK stream objects,
 * Node Readables and StreamableFiles, web ReadableStreams and fetch Responses, async iterables.
 */
export function streamSourceOf(value: unknown): StreamSource | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  return sdkStreamSource(value) ?? nodeReadableSource(value) ?? webStreamSource(value) ?? asyncIterableSource(value);
}
