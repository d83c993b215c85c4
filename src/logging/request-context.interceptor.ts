import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { noteRequest, RequestContext } from './request-context';

/**
 * Notes the caller and the budget state of an admitted request for its log line. Needed on
 * Fastify, whose guards write to its own request object rather than the Node request the logger sees.
 */
@Injectable()
export class RequestContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const req = context.switchToHttp().getRequest<Pick<RequestContext, 'user' | 'tokenBudget'>>();
      noteRequest(req, { user: req.user, tokenBudget: req.tokenBudget });
    }
    return next.handle();
  }
}
