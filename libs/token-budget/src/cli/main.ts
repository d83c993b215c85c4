#!/usr/bin/env node
import { TokenBudgetConfigError } from '../config/token-budget-config.error';
import { describeConfig } from '../config/describe-config';
import { readTokenBudgetConfigFile } from '../config/load-config';

const USAGE = 'usage: token-budget validate-config <file.yaml|file.json> [--skip <section>]...';

/** The `--skip <section>` pairs of the arguments (top-level keys an app reads itself); `undefined` when the arguments are not such pairs. */
function skipped(extra: string[]): string[] | undefined {
  if (extra.length % 2) return undefined;
  const sections: string[] = [];
  for (let i = 0; i < extra.length; i += 2) {
    if (extra[i] !== '--skip' || !extra[i + 1]) return undefined;
    sections.push(extra[i + 1]);
  }
  return sections;
}

/**
 * `token-budget validate-config <file> [--skip <section>]...`: prints what the file configures
 * (exit 0) or one line per problem (exit 1). A skipped section (a top-level key the app reads and
 * checks itself, e.g. the example gateway's `requestPolicy`) is left unchecked.
 */
export function main(argv: string[], out: (line: string) => void, err: (line: string) => void): number {
  const [command, file, ...extra] = argv;
  const skip = skipped(extra);
  if (command !== 'validate-config' || !file || !skip) {
    err(command === undefined || command === 'validate-config' ? USAGE : `unknown command '${command}'; ${USAGE}`);
    return 2;
  }
  try {
    const { options, sections } = readTokenBudgetConfigFile(file, Object.fromEntries(skip.map((section) => [section, () => []])));
    out(`${file}: valid`);
    for (const section of Object.keys(sections)) out(`${section}: not checked here (read by the app)`);
    for (const line of describeConfig(options)) out(line);
    return 0;
  } catch (error) {
    if (!(error instanceof TokenBudgetConfigError)) throw error;
    for (const problem of error.problems) err(problem);
    err(`${file}: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}`);
    return 1;
  }
}

if (require.main === module) {
  process.exitCode = main(
    process.argv.slice(2),
    (line) => console.log(line),
    (line) => console.error(line),
  );
}
