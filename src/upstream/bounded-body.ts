import { Readable } from 'node:stream';
import { UpstreamFailure } from './upstream-errors';

/**
 * Reads a whole answer body, at most `maxBytes` (else `upstream_response_too_large`), failing
 * with `upstream_idle_timeout` after `idleMs` without a byte. The body is destroyed on failure.
 */
export function readBounded(body: Readable, maxBytes: number, idleMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const idle = setTimeout(() => fail(new UpstreamFailure('upstream_idle_timeout', `body silent for ${idleMs} ms`)), idleMs);
    const fail = (error: Error) => {
      clearTimeout(idle);
      body.removeAllListeners('data');
      body.destroy();
      reject(error);
    };
    body.on('data', (chunk: Buffer) => {
      idle.refresh();
      size += chunk.length;
      if (size > maxBytes) return fail(new UpstreamFailure('upstream_response_too_large', `more than ${maxBytes} bytes`));
      chunks.push(chunk);
    });
    body.once('end', () => {
      clearTimeout(idle);
      resolve(Buffer.concat(chunks));
    });
    body.once('error', (error) =>
      fail(error instanceof UpstreamFailure ? error : new UpstreamFailure('upstream_invalid_response', error.message)),
    );
  });
}

/** Bounds of a streamed answer. */
export interface StreamBounds {
  maxStreamBytes: number;
  maxLineBytes: number;
  idleMs: number;
  /** The final event sent when the stream is cut after some of it went out (in the provider's error shape). */
  errorEvent(failure: UpstreamFailure): string;
  /** Called once when the stream is cut before anything went out (the call then answers the failure). */
  onCutBeforeStart(failure: UpstreamFailure): void;
  /** Called once with every failure, for the operator's log. */
  onFailure(failure: UpstreamFailure): void;
}

const NEWLINE = 0x0a;

/**
 * An upstream's stream (SSE or NDJSON bytes), passed on in whole lines only, so a line is never
 * held longer than `maxLineBytes` and never sent cut. Pull-based: nothing more is read from the
 * upstream until the consumer asks, and the idle timer runs only while it waits for the upstream.
 *
 * A bound crossed (line, total bytes, silence, the call's total timeout, a reset) before any line
 * went out fails the stream with the {@link UpstreamFailure}, which the gateway answers as a
 * 502 / 504; once lines went out, a final error event in the provider's shape is sent and the
 * stream then fails, so the token budget charges what was streamed (at least the prompt).
 * A stream that ends without a line fails with `upstream_invalid_response`.
 */
export class BoundedStream extends Readable {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private total = 0;
  private started = false;
  private failure: UpstreamFailure | undefined;
  private readonly idle: IdleTimer;

  constructor(
    private readonly source: Readable,
    private readonly bounds: StreamBounds,
  ) {
    super();
    this.idle = new IdleTimer(bounds.idleMs, () =>
      this.cut(new UpstreamFailure('upstream_idle_timeout', `stream silent for ${bounds.idleMs} ms`)),
    );
    source.pause();
    source.on('data', (chunk: Buffer) => this.onData(chunk));
    source.once('end', () => this.onEnd());
    source.once('error', (error) =>
      this.cut(error instanceof UpstreamFailure ? error : new UpstreamFailure('upstream_unavailable', `stream failed: ${error.message}`)),
    );
  }

  override _read(): void {
    if (this.failure) return this.failWhenDrained(this.failure);
    this.idle.arm();
    this.source.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.idle.disarm();
    this.source.destroy();
    callback(error);
  }

  private onData(chunk: Buffer): void {
    if (this.failure || this.destroyed) return;
    this.idle.arm();
    this.total += chunk.length;
    if (this.total > this.bounds.maxStreamBytes)
      return this.cut(new UpstreamFailure('upstream_response_too_large', `stream past ${this.bounds.maxStreamBytes} bytes`));
    const last = chunk.lastIndexOf(NEWLINE);
    const first = last === -1 ? -1 : chunk.indexOf(NEWLINE);
    // lines inside one chunk are shorter than the chunk; only the one carried over can grow
    const carried = this.pendingBytes + (last === -1 ? chunk.length : first + 1);
    if (carried > this.bounds.maxLineBytes || chunk.length - last - 1 > this.bounds.maxLineBytes) {
      return this.cut(new UpstreamFailure('upstream_line_too_long', `a line past ${this.bounds.maxLineBytes} bytes`));
    }
    if (last === -1) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      return;
    }
    const lines = this.pending.length ? Buffer.concat([...this.pending, chunk.subarray(0, last + 1)]) : chunk.subarray(0, last + 1);
    const rest = chunk.subarray(last + 1);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
    this.started = true;
    if (!this.push(lines)) {
      this.idle.disarm();
      this.source.pause();
    }
  }

  private onEnd(): void {
    if (this.failure || this.destroyed) return;
    this.idle.disarm();
    if (this.pendingBytes) {
      this.push(Buffer.concat(this.pending));
      this.started = true;
    }
    if (!this.started) return this.cut(new UpstreamFailure('upstream_invalid_response', 'the stream ended before its first event'));
    this.push(null);
  }

  private cut(failure: UpstreamFailure): void {
    if (this.failure || this.destroyed) return;
    this.failure = failure;
    this.idle.disarm();
    this.pending = [];
    this.source.destroy();
    this.bounds.onFailure(failure);
    if (!this.started) {
      this.bounds.onCutBeforeStart(failure);
      return void this.destroy(failure);
    }
    // the error event goes out first; the stream fails once it was read
    this.push(this.bounds.errorEvent(failure));
  }

  private failWhenDrained(failure: UpstreamFailure, attempts = 0): void {
    if (this.destroyed) return;
    if (this.readableLength === 0 || attempts >= 500) this.destroy(failure);
    else setTimeout(() => this.failWhenDrained(failure, attempts + 1), 10).unref();
  }
}

/** A timer re-armed on each sign of life and disarmed while nothing is awaited. */
class IdleTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {}

  arm(): void {
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(() => this.onIdle(), this.ms);
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
