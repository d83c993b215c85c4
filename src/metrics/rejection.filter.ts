import { ArgumentsHost, Catch, Injectable } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { noteRequest } from '../logging/request-context';
import { GatewayMetrics } from './gateway-metrics';
import { rejectionReason } from './rejection-reason';

/**
 * Counts every refused request by reason (and notes it for the request log line), then answers
 * as Nest does. Guards refuse by throwing, so this is where every refusal passes.
 */
@Catch()
@Injectable()
export class RejectionFilter extends BaseExceptionFilter {
  constructor(private readonly metrics: GatewayMetrics) {
    super();
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() === 'http') {
      const reason = rejectionReason(exception);
      const req = host.switchToHttp().getRequest<object>();
      if (reason) this.metrics.rejections.inc({ reason });
      noteRequest(req, { rejection: reason, platform: req });
    }
    super.catch(exception, host);
  }
}
