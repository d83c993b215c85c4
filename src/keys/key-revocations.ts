import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';
import type { ServerResponse } from 'node:http';
import type { Observable } from 'rxjs';
import type { GatewayUser } from './gateway-user';

/** The Redis channel on which instances tell one another of a revoked key (its id). */
export const KEY_REVOKED_CHANNEL = 'tokenbudget:gateway:key-revoked';

/**
 * Ends the open calls of a revoked key, on every instance: each instance tracks the responses in
 * flight per key id, and a revocation ends them here and, with `REDIS_URL`, is published on
 * {@link KEY_REVOKED_CHANNEL} so the other instances end theirs (within milliseconds of the
 * admin call). An ended call's connection is closed: its stream is settled as a client
 * disconnect (what was streamed is charged, the rest of the hold released).
 */
@Injectable()
export class KeyRevocations implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(KeyRevocations.name);
  private readonly open = new Map<string, Set<ServerResponse>>();
  private publisher: Redis | undefined;
  private subscriber: Redis | undefined;

  constructor(private readonly config: ConfigService) {}

  async onModuleInit(): Promise<void> {
    const url = this.config.get<string>('REDIS_URL');
    if (!url) return;
    this.publisher = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 2_000 });
    this.subscriber = new Redis(url);
    this.subscriber.on('message', (_channel: string, id: string) => this.endLocal(id));
    this.subscriber.on('error', (error: Error) => this.logger.warn(`Key revocation channel: ${error.message}`));
    this.publisher.on('error', () => undefined);
    await this.subscriber
      .subscribe(KEY_REVOKED_CHANNEL)
      .catch((error: Error) =>
        this.logger.error(
          `Could not subscribe to ${KEY_REVOKED_CHANNEL}: ${error.message}; revoked keys end their open calls on this instance only`,
        ),
      );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.publisher, this.subscriber].map((redis) => redis?.quit().catch(() => redis.disconnect())));
  }

  /** Tracks `res` as a call of key `id` until it closes. */
  track(id: string, res: ServerResponse): void {
    let calls = this.open.get(id);
    if (!calls) this.open.set(id, (calls = new Set()));
    calls.add(res);
    res.once('close', () => {
      calls.delete(res);
      if (calls.size === 0 && this.open.get(id) === calls) this.open.delete(id);
    });
  }

  /** Ends the open calls of key `id` here and on every instance sharing the Redis. */
  async revoked(id: string): Promise<void> {
    this.endLocal(id);
    await this.publisher
      ?.publish(KEY_REVOKED_CHANNEL, id)
      .catch((error: Error) =>
        this.logger.error(
          `Could not announce the revocation of key ${id}: ${error.message}; other instances end its open calls when they end`,
        ),
      );
  }

  private endLocal(id: string): void {
    const calls = this.open.get(id);
    if (!calls) return;
    this.logger.log(`Ending ${calls.size} open call(s) of revoked key ${id}`);
    for (const res of calls) res.destroy();
    this.open.delete(id);
  }
}

/** Tracks each call made with a virtual key (`req.user.keyId`) for {@link KeyRevocations}. */
@Injectable()
export class KeyCallsInterceptor implements NestInterceptor {
  constructor(private readonly revocations: KeyRevocations) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const http = context.switchToHttp();
      const id = http.getRequest<{ user?: GatewayUser }>().user?.keyId;
      if (id) {
        const res = http.getResponse<ServerResponse | { raw: ServerResponse }>();
        this.revocations.track(id, 'raw' in res ? res.raw : res);
      }
    }
    return next.handle();
  }
}
