import type { Logger } from '@nestjs/common';
import type { Reservation } from '../reservation';
import { StreamUsageAccumulator } from '../usage/stream-usage';
import { normalizeUsageInput } from '../usage/normalize-usage';
import type { Usage, UsageExtractor } from '../usage/usage.interface';

/** How a metered stream ended. */
export type StreamOutcome = 'complete' | 'disconnect' | 'error' | 'exhausted' | 'timeout';

/** What a stream settles against; taken from the request's admission state. */
export interface StreamSettlementInput {
  /** `undefined` when the request was admitted without a hold (storage down, failMode 'open'): nothing is settled. */
  reservation: Reservation | undefined;
  /** Route (or module) usage reader; replaces the built-in provider readers. */
  usage: UsageExtractor | undefined;
  /** Feature name, for log lines. */
  feature: string;
  /** Input tokens of the estimate, used when a stream is cut before the provider reported input. */
  inputEstimate: number | undefined;
  /** End the stream once the subject's remaining budget is spent. */
  stopWhenExhausted: boolean;
  /** The upstream answered an error status (the call did not run): the hold is released whatever flowed. */
  upstreamFailed?: boolean;
}

/**
 * Watches the events of one streamed response and settles its reservation exactly once:
 * - complete: commits the provider's usage (or the streamed text counted with the tokenizer,
 *   `estimated: true`, when the stream carried none);
 * - client disconnect, upstream error, cut-off or the call's deadline (`maxCallDurationMs`): commits the usage seen so far (input reported
 *   by the provider, else the estimate's input; output the larger of the reported running total
 *   and the streamed text's tokens), which drops the rest of the hold.
 * A stream in which nothing a provider sends was recognised commits the estimate (released on an
 * upstream error). An upstream's error answer (a fetch Response with a 4xx / 5xx status) is released. A commit storage does not take is kept and retried (`settlementRetry`).
 */
export class StreamSettlement {
  readonly accumulator = new StreamUsageAccumulator();
  private custom: unknown;
  private readonly allowance: number;

  constructor(
    private readonly input: StreamSettlementInput,
    private readonly logger: Logger,
  ) {
    const summary = input.reservation?.summary;
    // remaining at admission is net of this hold: the stream may spend both. The hold, not the
    // estimate: under 'clamp' the hold is what was left, smaller than the estimate
    this.allowance = summary ? summary.remaining + (input.reservation as Reservation).held : Infinity;
  }

  get settled(): boolean {
    return this.input.reservation?.settled ?? true;
  }

  /** Feeds one parsed event (a chunk object, or the `data` of a MessageEvent). */
  feed(event: unknown): void {
    if (this.input.usage) {
      try {
        const usage = this.input.usage(event);
        if (usage !== undefined) this.custom = usage;
      } catch {
        // a reader that throws on one event does not end the stream; that event is skipped
      }
      return;
    }
    this.accumulator.push(event);
  }

  /** True when cut-off is on and the stream has produced as many tokens as the subject had left. */
  exhausted(): boolean {
    if (!this.input.stopWhenExhausted || this.allowance === Infinity || this.input.usage) return false;
    const acc = this.accumulator;
    const produced = (acc.reportedInputTokens() ?? this.input.inputEstimate ?? 0) + acc.countedOutputTokens();
    return produced >= this.allowance;
  }

  /** The body of the final event a cut-off stream sends. */
  exhaustedEvent(): { type: 'budget_exhausted'; error: 'budget_exhausted'; message: string } {
    return {
      type: 'budget_exhausted',
      error: 'budget_exhausted',
      message: 'The stream was stopped because the token budget is spent; the tokens streamed so far are counted.',
    };
  }

  /** The body of the final event a stream ended at its deadline (`maxCallDurationMs`) sends. */
  durationExceededEvent(): { type: 'call_duration_exceeded'; error: 'call_duration_exceeded'; message: string } {
    return {
      type: 'call_duration_exceeded',
      error: 'call_duration_exceeded',
      message: 'The stream was stopped because it ran longer than the longest call allowed; the tokens streamed so far are counted.',
    };
  }

  /** Settles the reservation for how the stream ended. Idempotent; never throws. */
  finish(outcome: StreamOutcome): void {
    const { reservation } = this.input;
    if (!reservation || reservation.settled) return;
    if (this.input.upstreamFailed) return this.settle(reservation.release());
    let usage: Usage | undefined;
    try {
      usage = this.usageFor(outcome);
    } catch (error) {
      this.logger.warn(`Reading the streamed usage of ${this.input.feature} failed (${String(error)}); committed the estimate`);
    }
    if (this.accumulator.malformed) {
      this.logger.warn(`Malformed usage in the stream of ${this.input.feature} (${this.accumulator.malformed}); those events were skipped`);
    }
    if (usage === undefined && outcome === 'error') return this.settle(reservation.release());
    this.settle(reservation.commit(usage));
  }

  private usageFor(outcome: StreamOutcome): Usage | undefined {
    if (this.input.usage) return this.custom === undefined ? undefined : normalizeUsageInput(this.custom);
    return this.accumulator.usage(outcome === 'complete' ? 'complete' : 'interrupted', this.input.inputEstimate);
  }

  private settle(pending: Promise<unknown>): void {
    pending.catch((error: unknown) =>
      this.logger.error(`Settling reservation ${this.input.reservation?.id} of a stream failed: ${String(error)}`),
    );
  }
}
