import { ChunkParser } from './chunk-parser';

const parse = (pieces: (string | Uint8Array)[]) => {
  const events: unknown[] = [];
  const parser = new ChunkParser((event) => events.push(event));
  for (const piece of pieces) parser.feed(piece);
  parser.end();
  return { events, parser };
};

describe('ChunkParser', () => {
  it('reads SSE split anywhere, including inside a multi-byte character, and skips [DONE]', () => {
    const wire = Buffer.from(
      'event: message_start\ndata: {"type":"message_start","text":"héllo"}\n\ndata: {"n":2}\r\n\r\ndata: [DONE]\n\n',
    );
    const pieces = Array.from(wire, (byte) => Uint8Array.of(byte)); // one byte at a time
    const { events, parser } = parse(pieces);
    expect(events).toEqual([{ type: 'message_start', text: 'héllo' }, { n: 2 }]);
    expect(parser.format).toBe('sse');
    expect(parser.skipped).toBe(0);
  });

  it('reads NDJSON with a last line that has no newline', () => {
    const { events, parser } = parse(['{"a":1}\n{"b"', ':2}\n{"c":3}']);
    expect(events).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(parser.format).toBe('ndjson');
  });

  it('skips data that is not JSON and goes on', () => {
    const { events, parser } = parse(['data: {"broken":\n\n', 'data: {"ok":true}\n\n']);
    expect(events).toEqual([{ ok: true }]);
    expect(parser.skipped).toBe(1);
  });

  it('tells when the text so far ends between events', () => {
    const parser = new ChunkParser(() => undefined);
    parser.feed('data: {"a":1}\n\ndata: {"b"');
    expect(parser.atBoundary()).toBe(false);
    parser.feed(':2}\n\n');
    expect(parser.atBoundary()).toBe(true);
  });

  it('ignores a stream that is neither SSE nor NDJSON', () => {
    const { events, parser } = parse(['%PDF-1.7 binary']);
    expect(events).toEqual([]);
    expect(parser.format).toBe('unknown');
  });

  it('tells an SSE event boundary that falls between two pieces (a server writing line by line), so a cut-off is not put off for ever', () => {
    const parser = new ChunkParser(() => undefined);
    for (let i = 0; i < 3; i++) {
      parser.feed(`data: {"n":${i}}\n`);
      expect(parser.atBoundary()).toBe(false);
      parser.feed('\n');
      expect(parser.atBoundary()).toBe(true);
    }
    parser.feed('data: {"n":9}\r\n');
    parser.feed('\r');
    expect(parser.atBoundary()).toBe(false);
    parser.feed('\n');
    expect(parser.atBoundary()).toBe(true);
  });
});
