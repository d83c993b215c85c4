import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AdminKey } from './admin-key';

/** Where the start-up banner finds the admin key: the text it prints for it. */
export interface AdminKeyNotice {
  /** What the banner says of the admin key (never the key itself off a terminal). */
  text: string;
  /** The file the generated key was written to, when it was. */
  file?: string;
}

/**
 * How the start-up tells the admin key. A key from `ADMIN_KEY` is not repeated. A generated one
 * is printed in full only on an interactive terminal (`terminal`); otherwise (logs collected by a
 * container runtime or a CI job) it is written to `file` (`ADMIN_KEY_FILE`), else to
 * `admin-key` in a new private directory under the OS temp dir, with mode 0600, and the banner
 * gives the path.
 */
export function announceAdminKey(key: AdminKey, terminal: boolean, file?: string): AdminKeyNotice {
  if (!key.generated) return { text: 'the value of ADMIN_KEY' };
  if (terminal) return { text: `${key.value} (generated for this run; set ADMIN_KEY to choose one)` };
  const path = file ?? join(mkdtempSync(join(tmpdir(), 'token-budget-gateway-')), 'admin-key');
  writeFileSync(path, `${key.value}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // a file that was already there keeps its mode otherwise
  return { text: `generated for this run, in ${path} (mode 0600; set ADMIN_KEY to choose one)`, file: path };
}
