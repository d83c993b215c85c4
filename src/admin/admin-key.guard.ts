import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { ADMIN_KEY, AdminKey } from './admin-key';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Admits `Authorization: Bearer <ADMIN_KEY>`. The comparison is constant-time (`timingSafeEqual`
 * over SHA-256 digests, so keys of any length compare in the same time).
 */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(ADMIN_KEY) adminKey: AdminKey) {
    this.expected = digest(adminKey.value);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>();
    const authorization = req.headers.authorization;
    const presented = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
    if (presented !== undefined && timingSafeEqual(digest(presented), this.expected)) return true;
    throw new UnauthorizedException({
      error: {
        message:
          presented === undefined
            ? 'Missing admin key: send `Authorization: Bearer <ADMIN_KEY>`.'
            : 'Wrong admin key. It is the ADMIN_KEY variable, or the key printed at start-up when that is unset.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_admin_key',
      },
    });
  }
}
