import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { AdminKeyGuard } from '../admin/admin-key.guard';
import { DashboardSummary, DashboardSummaryService } from './dashboard-summary';
import { DASHBOARD_PAGE } from './dashboard.page';

/** The `/admin` page (public: it holds no data) and the JSON it polls (admin key). */
@Controller('admin')
export class DashboardController {
  constructor(private readonly summaries: DashboardSummaryService) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @Header('Content-Security-Policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:")
  page(): string {
    return DASHBOARD_PAGE;
  }

  @Get('api/summary')
  @UseGuards(AdminKeyGuard)
  @Header('Cache-Control', 'no-store')
  summary(): Promise<DashboardSummary> {
    return this.summaries.summary();
  }
}
