import { randomBytes } from 'node:crypto';
import { Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

/** The key of the admin API and the dashboard, and whether it was generated at boot. */
export interface AdminKey {
  value: string;
  /** True when `ADMIN_KEY` was unset and the gateway made one up (it is printed at start-up). */
  generated: boolean;
}

/** DI token of the AdminKey. */
export const ADMIN_KEY = Symbol('ADMIN_KEY');

/** The key given (`AppModule.register({ adminKey })`), else `ADMIN_KEY`, else 24 random bytes (base64url) for the life of the process. */
export function adminKeyProvider(given?: string): Provider {
  return {
    provide: ADMIN_KEY,
    inject: [ConfigService],
    useFactory: (config: ConfigService): AdminKey => {
      const value = given ?? config.get<string>('ADMIN_KEY');
      return value ? { value, generated: false } : { value: `sk-admin-${randomBytes(24).toString('base64url')}`, generated: true };
    },
  };
}
