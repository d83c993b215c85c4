import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
/** The built library (`npm run build`), as an app that installed the package would load it. */
export const BUILT_LIBRARY = join(ROOT, 'libs/token-budget/dist/index.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the library as `npm run build` does unless its build is newer than every source file. */
export function ensureLibraryBuilt(): void {
  let built = 0;
  try {
    built = statSync(BUILT_LIBRARY).mtimeMs;
  } catch {
    // not built yet
  }
  if (built > newestSource(join(ROOT, 'libs/token-budget/src'))) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT });
}
