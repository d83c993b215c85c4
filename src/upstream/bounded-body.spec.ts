import { PassThrough, Readable } from 'node:stream';
import { BoundedStream, readBounded, StreamBounds } from './bounded-body';
import { UpstreamFailure } from './upstream-errors';

const bounds = (over: Partial<StreamBounds> = {}): StreamBounds & { cutBeforeStart: UpstreamFailure[] } => {
  const cutBeforeStart: UpstreamFailure[] = [];
  return {
    maxStreamBytes: 1_000,
    maxLineBytes: 20,
    idleMs: 5_000,
    errorEvent: (failure) => `\ndata: {"error":"${failure.code}"}\n\n`,
    onCutBeforeStart: (failure) => cutBeforeStart.push(failure),
    onFailure: () => undefined,
    cutBeforeStart,
    ...over,
  };
};

/** Reads a stream to its end or failure: the text it gave and its error. */
async function drain(stream: Readable): Promise<{ text: string; error?: UpstreamFailure }> {
  let text = '';
  try {
    for await (const chunk of stream) text += String(chunk);
    return { text };
  } catch (error) {
    return { text, error: error as UpstreamFailure };
  }
}

describe('BoundedStream', () => {
  it('passes the stream on in whole lines, whatever the pieces, and the last piece at the end', async () => {
    const source = new PassThrough();
    const stream = new BoundedStream(source, bounds());
    const out: string[] = [];
    stream.on('data', (chunk) => out.push(String(chunk)));
    const ended = new Promise((resolve) => stream.once('end', resolve));
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
    source.write('data: a');
    await settle();
    expect(out).toEqual([]); // half a line is held, not sent
    source.write('b\n\nda');
    await settle();
    expect(out).toEqual(['data: ab\n\n']);
    source.write('ta: c\n\n');
    await settle();
    expect(out).toEqual(['data: ab\n\n', 'data: c\n\n']);
    source.end('tail');
    await ended;
    expect(out).toEqual(['data: ab\n\n', 'data: c\n\n', 'tail']);
  });

  it('a line growing past the cap across pieces, before anything went out: fails with upstream_line_too_long, nothing sent', async () => {
    const b = bounds();
    const { text, error } = await drain(new BoundedStream(Readable.from(['data: 0123456789', '0123456789'].map((s) => Buffer.from(s))), b));
    expect(text).toBe('');
    expect(error).toBeInstanceOf(UpstreamFailure);
    expect(error!.code).toBe('upstream_line_too_long');
    expect(b.cutBeforeStart).toHaveLength(1);
  });

  it('cut after lines went out: a final error event after them, then the failure', async () => {
    const b = bounds();
    const { text, error } = await drain(
      new BoundedStream(Readable.from(['data: 1\n\n', 'data: 0123456789', '0123456789'].map((s) => Buffer.from(s))), b),
    );
    expect(text).toBe('data: 1\n\n\ndata: {"error":"upstream_line_too_long"}\n\n');
    expect(error!.code).toBe('upstream_line_too_long');
    expect(b.cutBeforeStart).toHaveLength(0);
  });

  it('counts the total bytes of the stream', async () => {
    const lines = Array.from({ length: 200 }, () => Buffer.from('data: 1\n\n'));
    const { error } = await drain(new BoundedStream(Readable.from(lines), bounds()));
    expect(error!.code).toBe('upstream_response_too_large');
  });

  it('a stream that ends without a line fails with upstream_invalid_response', async () => {
    const { error } = await drain(new BoundedStream(Readable.from([]), bounds()));
    expect(error!.code).toBe('upstream_invalid_response');
  });

  it('fails with upstream_idle_timeout when the upstream goes silent while it is awaited', async () => {
    const source = new PassThrough();
    source.write('data: 1\n\n');
    const { text, error } = await drain(new BoundedStream(source, bounds({ idleMs: 50 })));
    expect(text).toContain('upstream_idle_timeout');
    expect(error!.code).toBe('upstream_idle_timeout');
  });
});

describe('readBounded', () => {
  it('reads a body up to the cap and fails past it', async () => {
    expect((await readBounded(Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]), 100, 1_000)).toString()).toBe('{"a":1}');
    await expect(readBounded(Readable.from([Buffer.alloc(60), Buffer.alloc(60)]), 100, 1_000)).rejects.toMatchObject({
      code: 'upstream_response_too_large',
    });
  });

  it('fails when the body goes silent', async () => {
    await expect(readBounded(new PassThrough(), 100, 50)).rejects.toMatchObject({ code: 'upstream_idle_timeout' });
  });
});
