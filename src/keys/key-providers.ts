import { Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_INTERCEPTOR } from '@nestjs/core';
import Redis from 'ioredis';
import { ApiKeyGuard } from './api-key.guard';
import { defaultKeySeeds } from './demo-keys';
import { KeyCallsInterceptor, KeyRevocations } from './key-revocations';
import type { KeySeed } from './key-seed';
import { KeyStore } from './key-store';
import { KEY_SEEDS, KeysService } from './keys.service';
import { MemoryKeyStore } from './memory-key.store';
import { RedisKeyStore } from './redis-key.store';

/** A RedisKeyStore over its own connection to `url`, closed with the app. */
class OwnedRedisKeyStore extends RedisKeyStore {
  constructor(private readonly connection: Redis) {
    super(connection);
  }

  async onModuleDestroy(): Promise<void> {
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}

/**
 * Key store, key service and ApiKeyGuard: a RedisKeyStore when `REDIS_URL` is set, else in memory
 * (unless `store` is given). Seeded at boot: `seeds`, else the demo keys when allowed ({@link defaultKeySeeds}).
 */
export function keyProviders(seeds?: Readonly<Record<string, KeySeed>>, store?: KeyStore): Provider[] {
  return [
    store
      ? { provide: KeyStore, useValue: store }
      : {
          provide: KeyStore,
          inject: [ConfigService],
          useFactory: (config: ConfigService): KeyStore => {
            const url = config.get<string>('REDIS_URL');
            return url ? new OwnedRedisKeyStore(new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 2_000 })) : new MemoryKeyStore();
          },
        },
    seeds ? { provide: KEY_SEEDS, useValue: seeds } : { provide: KEY_SEEDS, inject: [ConfigService], useFactory: defaultKeySeeds },
    KeysService,
    ApiKeyGuard,
    KeyRevocations,
    { provide: APP_INTERCEPTOR, useClass: KeyCallsInterceptor },
  ];
}
