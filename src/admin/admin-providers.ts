import { Provider, Type } from '@nestjs/common';
import { AdminErrorsFilter } from './admin-errors.filter';
import { adminKeyProvider } from './admin-key';
import { AdminKeyGuard } from './admin-key.guard';
import { AdminKeysController } from './admin-keys.controller';
import { AdminUsageController } from './admin-usage.controller';
import { AdminUsersController } from './admin-users.controller';

/** Controllers of the admin JSON API (`/admin/api/...`). */
export const ADMIN_CONTROLLERS: Type[] = [AdminKeysController, AdminUsersController, AdminUsageController];

/** The admin key (given, else ADMIN_KEY, else generated), its guard and the admin error filter. */
export function adminProviders(adminKey?: string): Provider[] {
  return [adminKeyProvider(adminKey), AdminKeyGuard, AdminErrorsFilter];
}
