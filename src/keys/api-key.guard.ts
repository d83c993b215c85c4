import { CanActivate, ExecutionContext, Injectable, Logger, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { INVALID_KEY_MESSAGE, invalidApiKeyBody, MALFORMED_KEY_MESSAGE, MISSING_KEY_MESSAGE } from './api-key-errors';
import type { GatewayUser } from './gateway-user';
import { KeysService } from './keys.service';

type KeyedRequest = { url?: string; headers: Record<string, string | string[] | undefined>; user?: GatewayUser };

/**
 * Resolves `Authorization: Bearer <key>` (or `x-api-key: <key>`) to `req.user` through the key
 * store, on every request (no cache), so a revoked key is refused at once on every instance.
 * Lookups are by SHA-256 digest: how long one takes says nothing about the plain key.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);

  constructor(private readonly keys: KeysService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<KeyedRequest>();
    const plain = presentedKey(req.headers);
    const user = plain ? await this.lookup(plain) : undefined;
    if (!user)
      throw new UnauthorizedException(
        invalidApiKeyBody(req.url, plain ? INVALID_KEY_MESSAGE : req.headers.authorization ? MALFORMED_KEY_MESSAGE : MISSING_KEY_MESSAGE),
      );
    req.user = user;
    return true;
  }

  private async lookup(plain: string): Promise<GatewayUser | undefined> {
    try {
      return await this.keys.authenticate(plain);
    } catch (error) {
      this.logger.error(`Key store unreachable: ${(error as Error).message}`);
      throw new ServiceUnavailableException({
        error: {
          message: 'The key store is unreachable, so the API key cannot be checked; retry shortly.',
          type: 'server_error',
          param: null,
          code: 'key_store_unavailable',
        },
      });
    }
  }
}

function presentedKey(headers: KeyedRequest['headers']): string | undefined {
  const authorization = headers.authorization;
  const bearer = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
  const header = headers['x-api-key'];
  return bearer ?? (typeof header === 'string' && header !== '' ? header : undefined);
}
