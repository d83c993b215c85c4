import { randomBytes } from 'node:crypto';
import { Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { realUpstreamVariables } from '../keys/demo-keys';

/** The key of the admin API and the dashboard, and whether it was generated at boot. */
export interface AdminKey {
  value: string;
  /** True when `ADMIN_KEY` was unset and the gateway made one up (printed on a terminal, else written to a file). */
  generated: boolean;
}

/** DI token of the AdminKey. */
export const ADMIN_KEY = Symbol('ADMIN_KEY');

/**
 * The key given (`AppModule.register({ adminKey })`), else `ADMIN_KEY`, else 24 random bytes
 * (base64url) for the life of the process. A real upstream with no key stops the boot: whoever
 * holds the admin key makes keys that spend the server's provider key.
 */
export function adminKeyProvider(given?: string): Provider {
  return {
    provide: ADMIN_KEY,
    inject: [ConfigService],
    useFactory: (config: ConfigService): AdminKey => {
      const value = given ?? config.get<string>('ADMIN_KEY');
      if (value) return { value, generated: false };
      const upstreams = realUpstreamVariables(config);
      if (upstreams.length > 0) {
        throw new Error(
          `ADMIN_KEY is required when ${upstreams.join(' and ')} ${upstreams.length > 1 ? 'are' : 'is'} set: set ADMIN_KEY to a secret of 16 to 256 characters, e.g. ADMIN_KEY=$(openssl rand -base64 32)`,
        );
      }
      return { value: `sk-admin-${randomBytes(24).toString('base64url')}`, generated: true };
    },
  };
}
