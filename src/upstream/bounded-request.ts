import { Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { UpstreamFailure } from './upstream-errors';
import type { UpstreamLimits } from './upstream-limits';

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** An answer's head, and its body decompressed (still bounded by the total timeout). */
export interface BoundedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  /** Ends the call (the socket is destroyed); idempotent. */
  abort(): void;
}

/**
 * POSTs `body` to `url` with node:http(s), bounded: the connection must be up within
 * `connectTimeoutMs`, the answer's head must arrive within `firstByteTimeoutMs`, and the whole
 * call ends at `totalTimeoutMs` (the body stream then fails with `upstream_total_timeout`). A
 * gzip, deflate or brotli body is decompressed. Rejects with an {@link UpstreamFailure}, or with
 * the signal's reason when `signal` aborts first.
 */
export function boundedRequest(
  url: string,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
  limits: UpstreamLimits,
): Promise<BoundedResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const payload = Buffer.from(body);
    const req = (secure ? httpsRequest : httpRequest)(target, {
      method: 'POST',
      agent: secure ? agents.https : agents.http,
      headers: { ...headers, 'accept-encoding': 'gzip, deflate, br', 'content-length': String(payload.length) },
    });
    let answered = false;
    let answer: Readable | undefined;
    const fail = (failure: Error) => {
      clearTimeout(stage);
      if (!answered) {
        answered = true;
        reject(failure);
      }
      answer?.destroy(failure);
      req.destroy(failure);
    };
    const total = setTimeout(
      () => fail(new UpstreamFailure('upstream_total_timeout', `no end within ${limits.totalTimeoutMs} ms`)),
      limits.totalTimeoutMs,
    );
    let stage = setTimeout(
      () => fail(new UpstreamFailure('upstream_connect_timeout', `no connection within ${limits.connectTimeoutMs} ms`)),
      limits.connectTimeoutMs,
    );
    const firstByte = () => {
      clearTimeout(stage);
      stage = setTimeout(
        () => fail(new UpstreamFailure('upstream_first_byte_timeout', `no answer within ${limits.firstByteTimeoutMs} ms`)),
        limits.firstByteTimeoutMs,
      );
    };
    const onAbort = () => fail(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(total);
      clearTimeout(stage);
      signal.removeEventListener('abort', onAbort);
    };
    req.once('socket', (socket) => {
      if (!socket.connecting) return firstByte();
      socket.once(secure ? 'secureConnect' : 'connect', firstByte);
    });
    req.once('error', (error: Error) => {
      if (!answered) fail(error instanceof UpstreamFailure ? error : new UpstreamFailure('upstream_unavailable', error.message));
      done();
    });
    req.once('close', done);
    req.once('response', (res: IncomingMessage) => {
      clearTimeout(stage);
      const decoded = decoder(res.headers['content-encoding']);
      if (decoded === null)
        return fail(new UpstreamFailure('upstream_invalid_response', `unsupported content-encoding ${res.headers['content-encoding']}`));
      const body: Readable = decoded ? res.pipe(decoded) : res;
      if (decoded) {
        res.once('error', (error) => decoded.destroy(error));
        decoded.once('close', () => res.destroy());
      }
      // a body that fails past the head (reset, total timeout, bad gzip) ends the call
      body.once('error', () => req.destroy());
      answer = body;
      answered = true;
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body, abort: () => req.destroy() });
    });
    req.end(payload);
  });
}

/** A decompressor for the encoding; `undefined` for none, `null` for one the gateway cannot read. */
function decoder(encoding: string | undefined): (Readable & NodeJS.WritableStream) | undefined | null {
  const name = (encoding ?? '').trim().toLowerCase();
  if (name === '' || name === 'identity') return undefined;
  if (name === 'gzip' || name === 'x-gzip') return createGunzip();
  if (name === 'deflate') return createInflate();
  if (name === 'br') return createBrotliDecompress();
  return null;
}
