import { Readable } from 'node:stream';
import { ChunkParser } from './chunk-parser';
import { encodeSseEvent, isChatChunk, isRawChunk, SSE_DONE } from './sse-encoding';
import type { StreamSettlement } from './stream-settlement';
import type { StreamSource } from './stream-source';

/**
 * The response body of a streamed result: every item of `source` goes to the client as soon as it
 * arrives (bytes and text unchanged; chunk objects as SSE events), while a copy is parsed on the
 * side for usage. Pull-based, so a slow client slows the upstream instead of filling memory.
 *
 * Settles through `settlement` when the source ends (complete), fails (error), when the client
 * goes away (the HTTP adapters destroy the body stream on close: disconnect, and the upstream is
 * aborted), or when the budget is spent (`stopStreamWhenExhausted`: a final event, then the end).
 */
export class MeteredReadable extends Readable {
  /** `raw` passes bytes / text through; `sse` frames chunk objects. */
  readonly mode: 'raw' | 'sse';
  private readonly parser: ChunkParser;
  private pending: IteratorResult<unknown> | undefined;
  private pulling = false;
  private finished = false;
  private chat = false;

  constructor(
    private readonly source: StreamSource,
    first: IteratorResult<unknown>,
    private readonly settlement: StreamSettlement,
  ) {
    super();
    this.pending = first;
    this.mode = first.done || isRawChunk(first.value) ? 'raw' : 'sse';
    this.parser = new ChunkParser((event) => settlement.feed(event));
  }

  /** Content type to send: the producer's, else what the stream looks like. */
  contentType(): string | undefined {
    if (this.source.contentType) return this.source.contentType;
    if (this.mode === 'sse') return 'text/event-stream';
    const first = this.pending && !this.pending.done ? this.pending.value : undefined;
    const probe = new ChunkParser(() => undefined);
    probe.feed(first);
    return probe.format === 'sse' ? 'text/event-stream' : probe.format === 'ndjson' ? 'application/x-ndjson' : undefined;
  }

  override _read(): void {
    if (!this.pulling) void this.pull();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.finished) {
      this.finished = true;
      // the first item, read before the client left, was never sent: still, it is what the upstream reported
      if (this.pending && !this.pending.done) this.outputOf(this.pending.value);
      this.pending = undefined;
      this.settlement.finish(error ? 'error' : 'disconnect');
      this.source.abort();
    }
    callback(error);
  }

  private async pull(): Promise<void> {
    this.pulling = true;
    try {
      for (;;) {
        const result = this.pending ?? (await this.source.iterator.next());
        this.pending = undefined;
        if (this.finished || this.destroyed) return;
        if (result.done) return this.complete();
        const out = this.outputOf(result.value);
        if (this.settlement.exhausted() && this.atBoundary()) return this.cutOff(out);
        if (out !== undefined && !this.push(out)) return;
      }
    } catch (error) {
      if (this.finished || this.destroyed) return;
      this.finished = true;
      this.settlement.finish('error');
      this.fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.pulling = false;
    }
  }

  /**
   * The upstream failed mid-stream. Chunk objects get a final `error` event in the providers' own
   * shape (`{ type: 'error', error: { type, message } }`, which the openai and Anthropic SDKs raise
   * as an API error), then a clean end. A raw stream is cut like the upstream cut it, once the
   * bytes already read have gone out (destroying drops a Readable's buffer).
   */
  private fail(error: Error, attempts = 0): void {
    if (this.mode === 'sse') {
      this.push(
        encodeSseEvent({ type: 'error', error: { type: 'upstream_error', message: `The upstream stream failed: ${error.message}` } }),
      );
      this.push(null);
      return;
    }
    if (this.readableLength === 0 || attempts >= 100) this.destroy(error);
    else setTimeout(() => this.fail(error, attempts + 1), 10).unref();
  }

  /** The bytes to send for one item; feeds the usage reader a copy. */
  private outputOf(item: unknown): string | Uint8Array | undefined {
    if (this.mode === 'raw') {
      if (!isRawChunk(item)) return undefined;
      this.parser.feed(item);
      return item;
    }
    if (isRawChunk(item)) return item;
    this.settlement.feed(item);
    if (!this.chat && isChatChunk(item)) this.chat = true;
    return encodeSseEvent(item);
  }

  /** A raw stream is only cut between two events, never inside one. */
  private atBoundary(): boolean {
    return this.mode === 'sse' || this.parser.atBoundary();
  }

  private complete(): void {
    this.finished = true;
    this.parser.end();
    this.settlement.finish('complete');
    if (this.chat) this.push(SSE_DONE);
    this.push(null);
  }

  /**
   * The call ran past its deadline: a final `call_duration_exceeded` event, then the end; the
   * upstream is aborted and what was streamed is charged (at least the prompt).
   */
  expire(): void {
    if (this.finished || this.destroyed) return;
    this.finished = true;
    const first = this.pending && !this.pending.done ? this.outputOf(this.pending.value) : undefined;
    this.pending = undefined;
    if (first !== undefined) this.push(first);
    const event = this.settlement.durationExceededEvent();
    const framed = this.mode === 'raw' && this.parser.format === 'ndjson' ? `${JSON.stringify(event)}\n` : encodeSseEvent(event);
    this.settlement.finish('timeout');
    this.source.abort();
    this.push(framed);
    this.push(null);
  }

  private cutOff(last: string | Uint8Array | undefined): void {
    this.finished = true;
    if (last !== undefined) this.push(last);
    const event = this.settlement.exhaustedEvent();
    this.push(this.mode === 'raw' && this.parser.format === 'ndjson' ? `${JSON.stringify(event)}\n` : encodeSseEvent(event));
    this.settlement.finish('exhausted');
    this.source.abort();
    this.push(null);
  }
}
