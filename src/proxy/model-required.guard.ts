import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ApiError } from './api-error';

/** 400 before admission when the body is not a JSON object naming a `model`: nothing is held or counted. */
@Injectable()
export class ModelRequiredGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const body = context.switchToHttp().getRequest<{ body?: unknown }>().body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ApiError(400, 'The request body must be a JSON object (send Content-Type: application/json).', { code: 'invalid_body' });
    }
    const model = (body as { model?: unknown }).model;
    if (typeof model !== 'string' || model.trim() === '') {
      throw new ApiError(400, "Missing required parameter: 'model' (a model name string, e.g. \"gpt-4o-mini\").", { code: 'missing_required_parameter', param: 'model' });
    }
    return true;
  }
}
