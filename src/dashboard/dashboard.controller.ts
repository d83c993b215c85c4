import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { AdminKeyGuard } from '../admin/admin-key.guard';
import { DashboardSummary, DashboardSummaryService } from './dashboard-summary';
import { DASHBOARD_CSP, DASHBOARD_PAGE, DASHBOARD_SCRIPT, DASHBOARD_STYLE } from './dashboard.page';

/** The `/admin` page, its script and stylesheet (public: they hold no data), and the JSON it polls (admin key). */
@Controller('admin')
export class DashboardController {
  constructor(private readonly summaries: DashboardSummaryService) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @Header('Content-Security-Policy', DASHBOARD_CSP)
  @Header('X-Frame-Options', 'DENY')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  page(): string {
    return DASHBOARD_PAGE;
  }

  @Get('dashboard.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  script(): string {
    return DASHBOARD_SCRIPT;
  }

  @Get('dashboard.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  style(): string {
    return DASHBOARD_STYLE;
  }

  @Get('api/summary')
  @UseGuards(AdminKeyGuard)
  @Header('Cache-Control', 'no-store')
  summary(): Promise<DashboardSummary> {
    return this.summaries.summary();
  }
}
