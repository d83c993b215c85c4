import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { BudgetService } from 'nestjs-token-budget';
import { Subscription } from 'rxjs';
import { GatewayMetrics } from './gateway-metrics';

/** Counts committed tokens and spend from the library's `committed` events (one per budget a call counted on). */
@Injectable()
export class BudgetMetricsListener implements OnModuleInit, OnModuleDestroy {
  private subscription?: Subscription;

  constructor(
    private readonly budgets: BudgetService,
    private readonly metrics: GatewayMetrics,
  ) {}

  onModuleInit(): void {
    this.subscription = this.budgets.on('committed').subscribe((event) => {
      const labels = { scope: event.scope, model: event.model ?? 'unknown' };
      this.metrics.tokensCommitted.inc(labels, event.tokens);
      if (event.callCostUsd > 0) this.metrics.costCommitted.inc(labels, event.callCostUsd);
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }
}
