import { createParser, EventSourceParser } from 'eventsource-parser';

/** Wire format of a byte stream, told from its first non-blank characters. */
export type WireFormat = 'sse' | 'ndjson' | 'unknown';

const SSE_FIELDS = ['data:', 'event:', 'id:', 'retry:'];

/** The format `text` starts with; `undefined` while too little is known. */
function detectFormat(text: string): WireFormat | undefined {
  const start = text.trimStart();
  if (!start) return undefined;
  if (start[0] === '{') return 'ndjson';
  if (start[0] === ':' || SSE_FIELDS.some((field) => start.startsWith(field))) return 'sse';
  return SSE_FIELDS.some((field) => field.startsWith(start)) ? undefined : 'unknown';
}

/**
 * Parses a copy of a byte stream (SSE or NDJSON) as it flows, handing each JSON event to
 * `onEvent`. It keeps at most one unfinished event or line; the bytes themselves go to the client
 * untouched by whoever calls `feed`. Data that is not JSON (`[DONE]`, a broken chunk) is skipped
 * and counted in `skipped`. Never throws.
 *
 * SSE framing is read with eventsource-parser (the parser the OpenAI and Vercel AI SDKs rely
 * on); NDJSON needs no more than splitting lines.
 */
export class ChunkParser {
  format: WireFormat | undefined;
  /** Data items that were not JSON objects (excluding `[DONE]`). */
  skipped = 0;
  private readonly decoder = new TextDecoder();
  private sse: EventSourceParser | undefined;
  private line = '';
  /** Text seen before the format could be told. */
  private probe = '';
  private boundary = true;
  /** Last characters of the SSE text fed, to tell a boundary split across pieces. */
  private tail = '';

  constructor(private readonly onEvent: (event: unknown) => void) {}

  /** Feeds the next piece of the stream (bytes or text). */
  feed(chunk: unknown): void {
    let text: string;
    if (typeof chunk === 'string') text = chunk;
    else if (chunk instanceof Uint8Array) text = this.decoder.decode(chunk, { stream: true });
    else return;
    if (!text) return;
    if (this.format === undefined) {
      this.probe += text;
      const format = detectFormat(this.probe);
      if (format === undefined) return;
      this.format = format;
      text = this.probe;
      this.probe = '';
      if (format === 'sse') this.sse = createParser({ onEvent: (event) => this.data(event.data) });
    }
    if (this.format === 'sse') {
      this.sse?.feed(text);
      // the blank line may straddle two pieces ("data: ...\n", then "\n")
      this.tail = (this.tail + text).slice(-4);
      this.boundary = /\r?\n\r?\n$/.test(this.tail);
    } else if (this.format === 'ndjson') {
      this.lines(text);
      this.boundary = this.line === '';
    }
  }

  /** True when the text fed so far ends between two events (or lines). */
  atBoundary(): boolean {
    return this.boundary;
  }

  /** Parses what is left once the stream ended (a last line without a newline). */
  end(): void {
    if (this.format === 'ndjson' && this.line.trim()) this.data(this.line);
    this.line = '';
  }

  private lines(text: string): void {
    let start = 0;
    let newline = text.indexOf('\n');
    if (newline === -1) {
      this.line += text;
      return;
    }
    this.data(this.line + text.slice(0, newline));
    start = newline + 1;
    while ((newline = text.indexOf('\n', start)) !== -1) {
      this.data(text.slice(start, newline));
      start = newline + 1;
    }
    this.line = text.slice(start);
  }

  private data(data: string): void {
    const trimmed = data.trim();
    if (!trimmed || trimmed === '[DONE]') return;
    let event: unknown;
    try {
      event = JSON.parse(trimmed);
    } catch {
      this.skipped++;
      return;
    }
    try {
      this.onEvent(event);
    } catch {
      // the consumer never breaks the stream
    }
  }
}
