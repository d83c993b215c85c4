import { randomBytes } from 'node:crypto';
import type { Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

/** DI token of the admin key in force: `ADMIN_KEY`, else one generated at boot (printed in the banner). */
export const ADMIN_KEY = Symbol('ADMIN_KEY');

/** Provides {@link ADMIN_KEY}: the given key, else `ADMIN_KEY` from the environment, else a random one. */
export function adminKeyProvider(given?: string): Provider {
  return {
    provide: ADMIN_KEY,
    inject: [ConfigService],
    useFactory: (config: ConfigService) => given ?? config.get<string>('ADMIN_KEY') ?? `adm-${randomBytes(24).toString('base64url')}`,
  };
}
