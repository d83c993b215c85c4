import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { noteRequest } from './request-context';

/**
 * Links the Node request the logger sees to the platform's request, where guards and the budget
 * interceptor leave the caller and the budget state. Needed on Fastify, whose request object is
 * not the Node request.
 */
@Injectable()
export class RequestContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const req = context.switchToHttp().getRequest<object>();
      noteRequest(req, { platform: req });
    }
    return next.handle();
  }
}
