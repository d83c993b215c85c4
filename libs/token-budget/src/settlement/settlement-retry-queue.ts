import type { Logger } from '@nestjs/common';
import type { CommitRequest, CommitResult, ReleaseRequest, StorageAdapter } from '../storage/storage-adapter.interface';

/** A commit or release that storage has not taken yet. */
export interface PendingSettlement {
  kind: 'commit' | 'release';
  request: CommitRequest | ReleaseRequest;
  /** Called once storage took it (with the commit's result). */
  landed: (result: CommitResult | void) => void;
  /** Retries so far. */
  attempts: number;
}

export interface SettlementRetryOptions {
  /** Most settlements kept; one more is dropped (logged with its figures). */
  maxPending: number;
  /** First retry delay, doubled after each failed round up to `maxDelayMs`. */
  minDelayMs: number;
  maxDelayMs: number;
}

/**
 * Commits and releases that failed because storage was away, kept in memory (bounded) and retried
 * in order with the same reservation id until storage takes them (commits are idempotent by id in
 * storage, so a retry of one that did land counts nothing twice). One unref()-ed timer, backing off
 * while storage is away; `flush` drains what it can before shutdown.
 */
export class SettlementRetryQueue {
  private readonly entries: PendingSettlement[] = [];
  private timer: NodeJS.Timeout | undefined;
  private delay: number;
  private draining: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly storage: StorageAdapter,
    /** The app clock, for the `now` of each retried request (deadlines go by the machine's clock). */
    private readonly now: () => number,
    private readonly options: SettlementRetryOptions,
    private readonly logger: Logger,
  ) {
    this.delay = options.minDelayMs;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Keeps `entry` for a retry; false (nothing kept) when the queue is full or closed. */
  add(entry: PendingSettlement): boolean {
    if (this.closed || this.entries.length >= this.options.maxPending) return false;
    this.entries.push(entry);
    this.schedule();
    return true;
  }

  /**
   * Retries everything pending until it has all landed or `timeoutMs` has passed, then stops
   * retrying; what is left is handed to `dropped` (logged with its figures). Returns how many
   * were left.
   */
  async flush(timeoutMs: number, drop: (entry: PendingSettlement) => void): Promise<number> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + timeoutMs;
    while (this.entries.length > 0 && Date.now() < deadline) {
      await this.drain();
      if (this.entries.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.delay, Math.max(1, deadline - Date.now()))).unref());
    }
    const left = this.entries.splice(0);
    left.forEach(drop);
    return left.length;
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain().then(() => {
        if (this.entries.length > 0) this.schedule();
      });
    }, this.delay);
    this.timer.unref();
  }

  /** One round: retries entries in order, stopping at the first that storage still refuses. */
  private drain(): Promise<void> {
    this.draining ??= this.round().finally(() => (this.draining = undefined));
    return this.draining;
  }

  private async round(): Promise<void> {
    while (this.entries.length > 0) {
      const entry = this.entries[0];
      entry.attempts += 1;
      const request = { ...entry.request, now: this.now() };
      let result: CommitResult | void;
      try {
        result = entry.kind === 'commit' ? await this.storage.commit(request as CommitRequest) : await this.storage.release(request);
      } catch (error) {
        this.delay = Math.min(this.delay * 2, this.options.maxDelayMs);
        if (entry.attempts === 1 || entry.attempts % 20 === 0) {
          this.logger.warn(
            `Storage still refuses ${entry.kind} ${entry.request.id} (attempt ${entry.attempts}, ${this.entries.length} pending): ${String(error)}`,
          );
        }
        return;
      }
      this.entries.shift();
      this.delay = this.options.minDelayMs;
      try {
        entry.landed(result);
      } catch (error) {
        this.logger.error(`After ${entry.kind} ${entry.request.id} landed: ${String(error)}`);
      }
    }
  }
}
