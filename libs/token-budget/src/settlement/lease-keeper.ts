import type { Logger } from '@nestjs/common';
import { isPromise } from '../maybe-promise';
import type { Reservation } from '../reservation';
import type { StorageAdapter } from '../storage/storage-adapter.interface';

/** What one kept reservation needs: its lease, and when renewing stops whatever happens. */
interface Kept {
  timer: NodeJS.Timeout;
  renewing: boolean;
}

/**
 * Renews the leases of reservations whose calls are still running (a handler that has not
 * answered, a stream still flowing): every `leaseMs / 3`, one unref()-ed timer per kept
 * reservation, stopped when it is settled, at the call's deadline (`maxCallDurationMs`) and on
 * shutdown. A live call so never loses its hold; a dead instance renews nothing, so its holds
 * lapse within one lease. Storage without `renew` is detected by method and left alone.
 */
export class LeaseKeeper {
  private readonly kept = new Map<Reservation, Kept>();

  constructor(
    private readonly storage: StorageAdapter,
    /** The app clock, for the lease times (the call's deadline goes by the machine's clock). */
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  /** Reservations being kept alive (for tests and metrics). */
  get size(): number {
    return this.kept.size;
  }

  /**
   * Renews `reservation` until it is settled, or until `maxDurationMs` after now (0: no bound).
   * Does nothing when storage cannot renew, the reservation holds nothing, or is kept already.
   */
  keep(reservation: Reservation, leaseMs: number, maxDurationMs: number): void {
    if (typeof this.storage.renew !== 'function' || reservation.settled || this.kept.has(reservation)) return;
    if (reservation.held <= 0 && reservation.heldCostNanos <= 0) return;
    const stopAt = maxDurationMs > 0 ? Date.now() + maxDurationMs : Infinity;
    const entry: Kept = {
      timer: setInterval(() => this.renew(reservation, entry, leaseMs, stopAt), Math.max(1, Math.floor(leaseMs / 3))),
      renewing: false,
    };
    entry.timer.unref();
    this.kept.set(reservation, entry);
  }

  /** Stops renewing `reservation` (settled, or its call ended); its lease then runs out as set. */
  stop(reservation: Reservation): void {
    const entry = this.kept.get(reservation);
    if (!entry) return;
    clearInterval(entry.timer);
    this.kept.delete(reservation);
  }

  /** Stops every renewal (shutdown). */
  stopAll(): void {
    for (const entry of this.kept.values()) clearInterval(entry.timer);
    this.kept.clear();
  }

  private renew(reservation: Reservation, entry: Kept, leaseMs: number, stopAt: number): void {
    if (reservation.state === 'committed' || reservation.state === 'released' || Date.now() >= stopAt) return this.stop(reservation);
    const now = this.now();
    // one renewal at a time: a slow storage does not pile them up
    if (entry.renewing) return;
    entry.renewing = true;
    const done = (held: boolean) => {
      entry.renewing = false;
      // nothing holds it any more (lapsed while storage was away, or settled elsewhere)
      if (!held && reservation.state === 'held') {
        this.logger.warn(`The hold of reservation ${reservation.id} lapsed while its call was still running; it is no longer renewed`);
        this.stop(reservation);
      }
    };
    const failed = (error: unknown) => {
      entry.renewing = false;
      this.logger.warn(
        `Renewing the lease of reservation ${reservation.id} failed (tried again in ${Math.floor(leaseMs / 3)} ms): ${String(error)}`,
      );
    };
    try {
      const result = this.storage.renew!({ id: reservation.id, counters: reservation.counters, leaseUntil: now + leaseMs, now });
      if (isPromise(result)) result.then(done, failed);
      else done(result);
    } catch (error) {
      failed(error);
    }
  }
}
