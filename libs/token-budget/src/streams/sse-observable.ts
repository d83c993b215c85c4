import type { MessageEvent } from '@nestjs/common';
import { Observable, Subscription } from 'rxjs';
import { streamSourceOf } from './detect-stream';
import { isChatChunk } from './sse-encoding';
import type { StreamSettlement } from './stream-settlement';
import type { StreamSource } from './stream-source';

/** The event a chunk object becomes on an `@Sse()` route: `event:` is the chunk's `type`, when it has one. */
function toMessageEvent(chunk: unknown): MessageEvent {
  const type = (chunk as { type?: unknown })?.type;
  return typeof type === 'string' ? { type, data: chunk as object } : { data: chunk as object };
}

/** The provider event inside a MessageEvent (its `data`, JSON text parsed). */
function dataOf(event: unknown): unknown {
  const data = (event as { data?: unknown })?.data ?? event;
  if (typeof data !== 'string' || data[0] !== '{') return data;
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/**
 * Meters an `@Sse()` route. The handler may return an Observable of MessageEvents (each event's
 * `data` is read), or a stream of chunk objects: an `openai` / `@anthropic-ai/sdk` stream (or a
 * Promise of one), an async iterable, a Readable. Nest sends only Observables as SSE, so such a
 * stream is turned into MessageEvents here (`event:` set from the chunk's `type`, as Anthropic
 * and the Responses API frame them; an OpenAI chat stream ends with `data: [DONE]`).
 *
 * Settles when the stream completes, fails, or is unsubscribed (the client went away: the upstream
 * is aborted too), and ends the stream with a `budget_exhausted` event when the budget is spent.
 */
export function meterSse(source: Observable<unknown>, settlement: StreamSettlement, maxDurationMs = 0): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    let inner: StreamSource | undefined;
    let stopped = false;
    let chat = false;
    let outer: Subscription | undefined;

    const stop = (): void => {
      stopped = true;
      // a stream still on its way (a Promise of an SDK stream) is awaited, to be aborted when it comes
      if (inner || !awaiting) outer?.unsubscribe();
      inner?.abort();
    };
    /** Sends one event; false once the stream was cut off. */
    const emit = (event: unknown): boolean => {
      subscriber.next(event);
      settlement.feed(dataOf(event));
      if (!settlement.exhausted()) return true;
      subscriber.next({ type: 'budget_exhausted', data: settlement.exhaustedEvent() });
      settlement.finish('exhausted');
      stop();
      subscriber.complete();
      return false;
    };
    const complete = (): void => {
      settlement.finish('complete');
      if (chat) subscriber.next({ data: '[DONE]' });
      subscriber.complete();
    };
    const fail = (error: unknown): void => {
      settlement.finish('error');
      subscriber.error(error);
    };
    const pump = async (stream: StreamSource): Promise<void> => {
      try {
        for (;;) {
          const result = await stream.iterator.next();
          if (stopped) return;
          if (result.done) return complete();
          if (!chat && isChatChunk(result.value)) chat = true;
          if (!emit(toMessageEvent(result.value))) return;
        }
      } catch (error) {
        if (!stopped) fail(error);
      }
    };

    // true until the handler's result arrived (or its Observable ended)
    let awaiting = true;
    outer = source.subscribe({
      next: (value) => {
        if (stopped) {
          if (!inner) streamSourceOf(value)?.abort();
          outer?.unsubscribe();
          return;
        }
        awaiting = false;
        const stream = inner ? undefined : streamSourceOf(value);
        if (stream) {
          inner = stream;
          void pump(stream);
        } else {
          emit(value);
        }
      },
      error: (error: unknown) => {
        awaiting = false;
        if (!stopped) fail(error);
      },
      complete: () => {
        awaiting = false;
        if (!inner && !stopped) complete();
      },
    });
    // the call's deadline: a final event, what was streamed charged, the upstream aborted
    const deadline =
      maxDurationMs > 0
        ? setTimeout(() => {
            if (stopped || subscriber.closed) return;
            subscriber.next({ type: 'call_duration_exceeded', data: settlement.durationExceededEvent() });
            settlement.finish('timeout');
            stop();
            subscriber.complete();
          }, maxDurationMs)
        : undefined;
    deadline?.unref();
    return () => {
      if (deadline) clearTimeout(deadline);
      if (!settlement.settled && !stopped) settlement.finish('disconnect');
      stop();
    };
  });
}
