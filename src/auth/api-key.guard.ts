import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { GatewayUser } from './api-keys';

export const API_KEYS = Symbol('API_KEYS');

/** Resolves `Authorization: Bearer <key>` (or `x-api-key`) to `req.user` from the server's key table. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(API_KEYS) private readonly keys: Readonly<Record<string, GatewayUser>>) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: GatewayUser }>();
    const bearer = req.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
    const key = bearer ?? req.headers['x-api-key'];
    const user = key ? this.keys[key] : undefined;
    if (!user) throw new UnauthorizedException('Unknown or missing API key');
    req.user = user;
    return true;
  }
}
