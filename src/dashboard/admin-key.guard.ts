import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ADMIN_KEY } from './admin-key';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Admits `Authorization: Bearer <ADMIN_KEY>`; compares digests in constant time. */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(ADMIN_KEY) adminKey: string) {
    this.expected = digest(adminKey);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    const given = req.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
    if (!given || !timingSafeEqual(digest(given), this.expected)) {
      throw new UnauthorizedException('Missing or wrong admin key: send Authorization: Bearer <ADMIN_KEY> (printed at start-up when ADMIN_KEY is not set).');
    }
    return true;
  }
}
