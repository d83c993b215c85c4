import { StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';
import { StreamSource } from './stream-source';

function readableSource(stream: Readable, contentType?: string): StreamSource {
  return { iterator: stream[Symbol.asyncIterator](), abort: () => stream.destroy(), contentType };
}

/** A Node `Readable` (bytes, text or objects), or a `StreamableFile` wrapping one (its type is kept). */
export function nodeReadableSource(value: unknown): StreamSource | undefined {
  if (value instanceof StreamableFile) {
    const stream = value.getStream();
    return stream instanceof Readable ? readableSource(stream, value.getHeaders().type) : undefined;
  }
  return value instanceof Readable ? readableSource(value) : undefined;
}
