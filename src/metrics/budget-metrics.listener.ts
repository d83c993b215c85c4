import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { BudgetService, type TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { Subscription } from 'rxjs';
import { GATEWAY_BUDGET_OPTIONS } from '../config/gateway-config.module';
import { GatewayMetrics } from './gateway-metrics';
import { ModelLabels, safeLabel } from './model-labels';

/**
 * Counts committed tokens and spend from the library's `committed` events (one per budget a call
 * counted on), and implausible upstream usage from its `usage_anomaly` events.
 */
@Injectable()
export class BudgetMetricsListener implements OnModuleInit, OnModuleDestroy {
  private subscription?: Subscription;
  private settlements?: Subscription;
  private anomalies?: Subscription;
  private readonly models: ModelLabels;

  constructor(
    private readonly budgets: BudgetService,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_BUDGET_OPTIONS) options: TokenBudgetModuleOptions,
  ) {
    this.models = new ModelLabels(options.pricing);
  }

  onModuleInit(): void {
    this.subscription = this.budgets.on('committed').subscribe((event) => {
      const labels = { scope: safeLabel(event.scope), model: this.models.of(event.model) };
      this.metrics.tokensCommitted.inc(labels, event.tokens);
      if (event.callCostUsd > 0) this.metrics.costCommitted.inc(labels, event.callCostUsd);
    });
    this.settlements = this.budgets.on('settlement').subscribe((event) => {
      this.metrics.pendingSettlements.set(event.pending);
      if (event.action === 'dropped') this.metrics.settlementsDropped.inc();
    });
    // the reasons are the library's fixed names: no caller-controlled label
    this.anomalies = this.budgets.on('usage_anomaly').subscribe((event) => {
      for (const reason of event.reasons) this.metrics.usageAnomalies.inc({ reason });
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    this.settlements?.unsubscribe();
    this.anomalies?.unsubscribe();
  }
}
