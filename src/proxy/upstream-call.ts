import { Logger } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { RequestWithTokenBudget } from 'nestjs-token-budget';
import type { JsonBody, UpstreamCall } from '../upstream/upstream';

const logger = new Logger('UpstreamCall');

/** The request as the controllers read it (Express or Fastify). */
export type ProxyRequest = RequestWithTokenBudget & { headers: Record<string, string | string[] | undefined> };

/** The response object of either platform: Express's is a ServerResponse, Fastify's reply holds one in `raw`. */
export type PlatformResponse = ServerResponse | { raw: ServerResponse };

/**
 * The upstream call of a request: its body (the model the tier serves, when degraded), the
 * caller's headers, and a signal aborted when the caller goes away before the answer is sent.
 */
export function upstreamCall(body: JsonBody, req: ProxyRequest, res: PlatformResponse): UpstreamCall {
  const raw = 'raw' in res ? res.raw : res;
  const controller = new AbortController();
  raw.once('close', () => {
    if (!raw.writableFinished) controller.abort();
  });
  const degraded = req.tokenBudget?.degraded;
  return {
    body: degraded ? { ...body, model: degraded.model } : body,
    signal: controller.signal,
    headers: req.headers,
    chargePrompt: () => chargePrompt(req),
  };
}

/**
 * A call cut after the provider had it (a timeout, an answer too large or unreadable) is charged
 * its prompt, as a stream cut before it reported usage is: the hold's input tokens, no output.
 */
function chargePrompt(req: ProxyRequest): void {
  const state = req.tokenBudget;
  const reservation = state?.reservation;
  if (!reservation || reservation.settled) return;
  const inputTokens = state.inputEstimate ?? state.usageEstimate?.inputTokens ?? 0;
  reservation
    .commit({ inputTokens, outputTokens: 0, totalTokens: inputTokens })
    .catch((error: unknown) => logger.error(`Charging the prompt of a cut call failed; its lease will release the hold: ${String(error)}`));
}

/**
 * An OpenAI chat stream reports usage only when `stream_options.include_usage` is set: the
 * gateway asks for it on every streamed call, so the stream's tokens are counted exactly.
 */
export function withUsageChunk(body: JsonBody): JsonBody {
  if (body.stream !== true) return body;
  const options = (typeof body.stream_options === 'object' && body.stream_options) || {};
  return { ...body, stream_options: { ...options, include_usage: true } };
}
