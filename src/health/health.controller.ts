import { Controller, Get } from '@nestjs/common';

/** Liveness: no key, no budget. */
@Controller('health')
export class HealthController {
  @Get()
  health() {
    return { status: 'ok' };
  }
}
