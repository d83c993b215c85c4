#!/usr/bin/env node
import { TokenBudgetConfigError } from '../config/config-file-error';
import { describeConfig } from '../config/describe-config';
import { readTokenBudgetConfig } from '../config/load-config';

const USAGE = 'usage: token-budget validate-config <file.yaml|file.json>';

/** `token-budget validate-config <file>`: prints what the file configures (exit 0) or one line per problem (exit 1). */
export function main(argv: string[], out: (line: string) => void, err: (line: string) => void): number {
  const [command, file, ...extra] = argv;
  if (command !== 'validate-config' || !file || extra.length) {
    err(command === undefined || command === 'validate-config' ? USAGE : `unknown command '${command}'; ${USAGE}`);
    return 2;
  }
  try {
    const options = readTokenBudgetConfig(file);
    out(`${file}: valid`);
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
  process.exitCode = main(process.argv.slice(2), (line) => console.log(line), (line) => console.error(line));
}
