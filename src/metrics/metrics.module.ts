import { Global, Module } from '@nestjs/common';
import { GatewayMetrics } from './gateway-metrics';

/** The metrics registry, global so the budget options factory can instrument its storage with it. */
@Global()
@Module({ providers: [GatewayMetrics], exports: [GatewayMetrics] })
export class MetricsModule {}
