import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { MAX_BODY_DEPTH, MAX_MODEL_NAME_LENGTH, nestedDeeperThan } from '../body/body-bounds';
import { ApiError } from './api-error';

/**
 * 400 before admission when the body is not a JSON object naming a `model` (of at most
 * {@link MAX_MODEL_NAME_LENGTH} characters), or nests deeper than {@link MAX_BODY_DEPTH}: nothing is held or counted.
 */
@Injectable()
export class ModelRequiredGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const body = context.switchToHttp().getRequest<{ body?: unknown }>().body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ApiError(400, 'The request body must be a JSON object (send Content-Type: application/json).', { code: 'invalid_body' });
    }
    const model = (body as { model?: unknown }).model;
    if (typeof model !== 'string' || model.trim() === '') {
      throw new ApiError(400, 'Missing required parameter: \'model\' (a model name string, e.g. "gpt-4o-mini").', {
        code: 'missing_required_parameter',
        param: 'model',
      });
    }
    if (model.length > MAX_MODEL_NAME_LENGTH) {
      throw new ApiError(400, `The model name is longer than ${MAX_MODEL_NAME_LENGTH} characters.`, {
        code: 'model_name_too_long',
        param: 'model',
      });
    }
    if (nestedDeeperThan(body, MAX_BODY_DEPTH)) {
      throw new ApiError(400, `The request body nests objects and arrays deeper than ${MAX_BODY_DEPTH} levels.`, { code: 'body_too_deep' });
    }
    return true;
  }
}
