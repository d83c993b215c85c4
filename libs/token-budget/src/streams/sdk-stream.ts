import { hasAsyncIterator, returnQuietly, StreamSource } from './stream-source';

/**
 * A stream object of the `openai` or `@anthropic-ai/sdk` client (`Stream`, or a helper such as
 * `MessageStream` / `ChatCompletionStream`): async iterable, with the `AbortController` of its
 * HTTP request, which is aborted when the client of the Nest route goes away.
 */
export function sdkStreamSource(value: unknown): StreamSource | undefined {
  const controller = (value as { controller?: unknown })?.controller;
  if (!(controller instanceof AbortController) || !hasAsyncIterator(value)) return undefined;
  const iterator = value[Symbol.asyncIterator]();
  return {
    iterator,
    abort: () => {
      controller.abort();
      returnQuietly(iterator);
    },
  };
}
