import { DynamicModule, Module } from '@nestjs/common';
import { adminKeyProvider, ADMIN_KEY } from './admin-key';
import { AdminKeyGuard } from './admin-key.guard';
import { DashboardController } from './dashboard.controller';
import { DashboardSummaryService } from './dashboard-summary';

/** `/admin`: the live usage dashboard. Needs BudgetService (a global TokenBudgetModule) and GatewayMetrics. */
@Module({})
export class DashboardModule {
  static forRoot(options: { adminKey?: string } = {}): DynamicModule {
    return {
      module: DashboardModule,
      controllers: [DashboardController],
      providers: [adminKeyProvider(options.adminKey), AdminKeyGuard, DashboardSummaryService],
      exports: [ADMIN_KEY],
    };
  }
}
