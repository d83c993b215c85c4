import { Logger } from '@nestjs/common';
import type { Reservation } from '../reservation';
import type { UsageExtractor } from '../usage/usage.interface';
import { ChunkParser } from './chunk-parser';
import { streamSourceOf } from './detect-stream';
import { isRawChunk } from './sse-encoding';
import { StreamOutcome, StreamSettlement } from './stream-settlement';

/** Options of {@link meterStream}. */
export interface MeterStreamOptions {
  /**
   * Input tokens of the estimate: charged as input when the stream stops before the provider
   * reported its input (OpenAI chat streams report it only in their last chunk).
   * @default 0
   * @example inputEstimate: countTokens(prompt)
   */
  inputEstimate?: number;
  /**
   * Reads usage from each chunk instead of the built-in provider readers (the last usage it
   * returns is committed).
   * @default the built-in readers (OpenAI, Anthropic, Gemini, Ollama, Groq)
   * @example usage: (chunk) => chunk.done ? { inputTokens: chunk.in, outputTokens: chunk.out } : undefined
   */
  usage?: UsageExtractor;
  /**
   * Name used in log lines.
   * @default 'stream'
   */
  name?: string;
}

const logger = new Logger('TokenBudgetStream');

/**
 * Passes a stream through unchanged and settles `reservation` from what flowed, for transports
 * the interceptor does not see (WebSocket gateways, GraphQL subscriptions, `@Res()` handlers,
 * queue workers). Items may be chunk objects (SDK streams) or bytes / text (SSE or NDJSON).
 *
 * - the stream completes: the provider's usage is committed (the streamed text counted with the
 *   tokenizer, `estimated: true`, when it carried none);
 * - the consumer stops early (`break`, `return()`: e.g. the socket closed): the usage so far is
 *   committed and the rest of the hold released; breaking out of an SDK stream aborts its request;
 * - the source throws: the usage so far is committed (released when nothing was streamed) and the
 *   error is rethrown;
 * - the consumer stops before asking for the first item (`return()` at once, e.g. a GraphQL
 *   subscription cancelled before its first event): the hold is released and the source aborted.
 *
 * @example
 * const reservation = await budgets.reserve(userId, 2_000);
 * const stream = await openai.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
 * for await (const chunk of meterStream(reservation, stream)) socket.send(JSON.stringify(chunk));
 */
export function meterStream<T>(
  reservation: Reservation,
  source: AsyncIterable<T>,
  options: MeterStreamOptions = {},
): AsyncGenerator<T, void, undefined> {
  const settlement = new StreamSettlement(
    {
      reservation,
      usage: options.usage,
      feature: options.name ?? 'stream',
      inputEstimate: options.inputEstimate,
      stopWhenExhausted: false,
    },
    logger,
  );
  const metered = meter(settlement, source);
  let started = false;
  // a generator stopped before its first next() never runs its finally: nothing would settle
  const stopUnstarted = (): void => {
    if (started) return;
    started = true;
    settlement.finish('error'); // nothing was read: released
    streamSourceOf(source)?.abort();
  };
  // inherits what this Node's generators have beyond next/return/throw (Symbol.asyncDispose on
  // Node 24, which calls return() on the wrapper), so it is an AsyncGenerator for every @types/node
  const wrapper = Object.create(metered) as AsyncGenerator<T, void, undefined>;
  wrapper.next = (...args: [] | [undefined]) => {
    started = true;
    return metered.next(...args);
  };
  wrapper.return = (value: void | PromiseLike<void>) => {
    stopUnstarted();
    return metered.return(value);
  };
  wrapper.throw = (error: unknown) => {
    stopUnstarted();
    return metered.throw(error);
  };
  wrapper[Symbol.asyncIterator] = () => wrapper;
  return wrapper;
}

async function* meter<T>(settlement: StreamSettlement, source: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  const parser = new ChunkParser((event) => settlement.feed(event));
  let outcome: StreamOutcome = 'disconnect';
  try {
    for await (const item of source) {
      if (isRawChunk(item)) parser.feed(item);
      else settlement.feed(item);
      yield item;
    }
    parser.end();
    outcome = 'complete';
  } catch (error) {
    outcome = 'error';
    throw error;
  } finally {
    settlement.finish(outcome);
  }
}
