import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenBudgetConfigError } from './token-budget-config.error';
import { readTokenBudgetConfig, readTokenBudgetConfigFile } from './load-config';

function file(lines: string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tb-sections-')), 'config.yaml');
  writeFileSync(path, lines.join('\n'));
  return path;
}

const section = (value: unknown): string[] => {
  const v = value as { mode?: unknown; list?: unknown[] };
  const problems: string[] = [];
  if (v.mode !== 'on' && v.mode !== 'off') problems.push(`app.mode: must be 'on' or 'off'`);
  (v.list ?? []).forEach((item, i) => typeof item !== 'string' && problems.push(`app.list[${i}]: must be a string`));
  return problems;
};

describe('readTokenBudgetConfigFile: sections the app reads itself', () => {
  it("returns the app's section apart from the module options", () => {
    const path = file(['budgets:', '  - { scope: user, tokens: 10 }', 'app:', '  mode: on', '  list: [a, b]', '']);
    const read = readTokenBudgetConfigFile(path, { app: section });
    expect(read.sections).toEqual({ app: { mode: 'on', list: ['a', 'b'] } });
    expect(read.options).toEqual({ budgets: [{ scope: 'user', tokens: 10 }] });
  });

  it("reports the section's problems and the options' at their line and column, in one error", () => {
    const path = file(['budgets:', '  - { scope: nobody }', 'app:', '  mode: maybe', '  list: [a, 3]', '']);
    let error: unknown;
    try {
      readTokenBudgetConfigFile(path, { app: section });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TokenBudgetConfigError);
    expect((error as TokenBudgetConfigError).problems).toEqual([
      expect.stringMatching(new RegExp(`^${path}:2:14: budgets\\[0\\]\\.scope: `)),
      `${path}:4:9: app.mode: must be 'on' or 'off'`,
      `${path}:5:13: app.list[1]: must be a string`,
    ]);
  });

  it('without the validator the section is an unknown option, as before', () => {
    const path = file(['app:', '  mode: on', '']);
    expect(() => readTokenBudgetConfig(path)).toThrow(/app: is not a known option/);
  });
});

describe('token-budget validate-config --skip', () => {
  it("leaves an app's section unchecked, and still checks the options", async () => {
    const { main } = await import('../cli/main');
    const good = file(['budgets:', '  - { scope: user, tokens: 10 }', 'app:', '  anything: [1, 2]', '']);
    const out: string[] = [];
    const err: string[] = [];
    expect(
      main(
        ['validate-config', good],
        (l) => out.push(l),
        (l) => err.push(l),
      ),
    ).toBe(1);
    expect(err[0]).toMatch(/:3:1: app: is not a known option$/);
    out.length = 0;
    expect(
      main(
        ['validate-config', good, '--skip', 'app'],
        (l) => out.push(l),
        (l) => err.push(l),
      ),
    ).toBe(0);
    expect(out.slice(0, 2)).toEqual([`${good}: valid`, 'app: not checked here (read by the app)']);
    const bad = file(['budgets:', '  - { scope: nobody }', 'app: {}', '']);
    expect(
      main(
        ['validate-config', bad, '--skip', 'app'],
        () => undefined,
        (l) => err.push(l),
      ),
    ).toBe(1);
    expect(
      main(
        ['validate-config', bad, '--skip'],
        () => undefined,
        (l) => err.push(l),
      ),
    ).toBe(2);
  });
});
