import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import madge from 'madge';

/**
 * The house rules of the library's source, checked on every run: an import graph without cycles
 * (type imports included), small files, error classes named by kind, and capabilities found by
 * method rather than by class.
 */
const ROOT = __dirname;
const MAX_LINES = 300;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

const files = sourceFiles(ROOT).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }));

describe('library structure', () => {
  it('has no import cycle, type imports included', async () => {
    const graph = await madge(ROOT, {
      fileExtensions: ['ts'],
      tsConfig: join(ROOT, '..', '..', '..', 'tsconfig.json'),
      excludeRegExp: [/\.spec\.ts$/],
      detectiveOptions: { ts: { skipTypeImports: false }, tsx: { skipTypeImports: false } },
    });
    expect(Object.keys(graph.obj()).length).toBeGreaterThan(100);
    expect(graph.circular()).toEqual([]);
  });

  it(`keeps every source file within ${MAX_LINES} lines`, () => {
    const long = files.map(({ path, text }) => ({ path, lines: text.split('\n').length - 1 })).filter(({ lines }) => lines > MAX_LINES);
    expect(long).toEqual([]);
  });

  it('names files by the kind of error they export: *.error.ts for Errors, *.exception.ts for HttpExceptions', () => {
    const misnamed: string[] = [];
    for (const { path, text } of files) {
      for (const [, base] of text.matchAll(/^export class \w+ extends (\w+)/gm)) {
        if (/^(Error|TypeError|RangeError)$/.test(base) && !path.endsWith('.error.ts'))
          misnamed.push(`${path}: an Error outside *.error.ts`);
        if (/Exception$/.test(base) && !path.endsWith('.exception.ts')) misnamed.push(`${path}: an exception outside *.exception.ts`);
      }
    }
    expect(misnamed).toEqual([]);
  });

  it('finds storage capabilities by method, never by the adapter class', () => {
    const byClass = files
      .filter(({ text }) => /instanceof (RedisAdapter|MemoryAdapter|TierThrottlerStorage|MemoryRateWindow)\b/.test(text))
      .map(({ path }) => path);
    expect(byClass).toEqual([]);
  });
});
