import type { Logger } from '@nestjs/common';
import type { MaybePromise } from '../maybe-promise';
import type { Reservation } from '../reservation';
import { readProviderUsage } from '../usage/providers';
import { normalizeUsageInput } from '../usage/normalize-usage';
import type { Usage, UsageExtractor } from '../usage/usage.interface';
import type { ReservationSettler } from '../reservation';

/**
 * Commits a reservation from a handler's (or a `track` function's) result: the usage a custom
 * `usage` reader returns, else the provider usage the result carries. A result without usage, or
 * with malformed usage, is logged (once per route for a missing one) and its estimate is committed.
 */
export class ResultCommit {
  private readonly warnedNoUsage = new Set<string>();

  constructor(
    private readonly settler: ReservationSettler,
    /** The module's `usage` reader, if any. */
    private readonly moduleExtractor: UsageExtractor | undefined,
    private readonly logger: Logger,
  ) {}

  commitFromResult(reservation: Reservation, result: unknown, extractor: UsageExtractor | undefined, where: string): MaybePromise<Usage> {
    let usage: Usage | undefined;
    let absent = false;
    extractor ??= this.moduleExtractor;
    try {
      if (extractor) {
        const custom = extractor(result);
        if (custom !== undefined) usage = normalizeUsageInput(custom);
        else absent = true;
      } else {
        const reading = readProviderUsage(result);
        if (reading.kind === 'usage') usage = reading.usage;
        else if (reading.kind === 'none') absent = true;
        else
          this.logger.warn(
            `Malformed usage in the result of ${where} (${reading.reason}); committed the estimate of ${reservation.estimate} tokens`,
          );
      }
    } catch (error) {
      this.logger.warn(
        `Reading usage of ${where} failed (${error instanceof Error ? error.message : String(error)}); committed the estimate of ${reservation.estimate} tokens`,
      );
    }
    if (absent && !this.warnedNoUsage.has(where)) {
      this.warnedNoUsage.add(where);
      this.logger.warn(`The result of ${where} carries no usage; its estimate is committed (set a usage function to read it)`);
    }
    return this.settler.commitReservation(reservation, usage);
  }
}
