import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets of storage calls, in seconds: 0.1 ms (in-memory) to 1 s (a struggling Redis). */
const STORAGE_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/**
 * The gateway's Prometheus metrics, in a registry of its own (so two apps in one process, as in
 * tests, never share counters), with Node's default process metrics.
 */
@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();

  /** Tokens counted on budgets, one increment per budget a call counted on. */
  readonly tokensCommitted = new Counter({
    name: 'tokenbudget_tokens_committed_total',
    help: 'Tokens committed on budgets, by budget scope and model',
    labelNames: ['scope', 'model'] as const,
    registers: [this.registry],
  });

  readonly costCommitted = new Counter({
    name: 'tokenbudget_cost_usd_committed_total',
    help: 'Spend committed on budgets in USD, by budget scope and model',
    labelNames: ['scope', 'model'] as const,
    registers: [this.registry],
  });

  readonly rejections = new Counter({
    name: 'tokenbudget_rejections_total',
    help: 'Requests refused, by reason (budget limits, tier rates, keys, bad input, storage)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly reservationSeconds = new Histogram({
    name: 'tokenbudget_reservation_seconds',
    help: 'Duration of budget reservations in storage',
    buckets: STORAGE_BUCKETS,
    registers: [this.registry],
  });

  readonly commitSeconds = new Histogram({
    name: 'tokenbudget_commit_seconds',
    help: 'Duration of budget commits in storage',
    buckets: STORAGE_BUCKETS,
    registers: [this.registry],
  });

  readonly storageErrors = new Counter({
    name: 'tokenbudget_storage_errors_total',
    help: 'Budget storage calls that failed, by operation',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly pendingSettlements = new Gauge({
    name: 'tokenbudget_pending_settlements',
    help: 'Commits and releases the budget storage did not take yet, kept and retried',
    registers: [this.registry],
  });

  readonly settlementsDropped = new Counter({
    name: 'tokenbudget_settlements_dropped_total',
    help: 'Commits and releases given up (retry queue full, or shutdown came first), logged with their figures',
    registers: [this.registry],
  });

  readonly usageAnomalies = new Counter({
    name: 'tokenbudget_usage_anomalies_total',
    help: 'Calls whose reported usage was implausible and charged at its bound, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Rejections counted so far, by reason. */
  async rejectionCounts(): Promise<Record<string, number>> {
    const { values } = await this.rejections.get();
    return Object.fromEntries(values.map((v) => [String(v.labels.reason), v.value]));
  }
}
