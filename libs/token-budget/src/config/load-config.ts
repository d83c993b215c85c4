import { readFileSync } from 'node:fs';
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { TokenBudgetOptionsError } from '../token-budget-options.error';
import { validateOptions } from '../options/validate-options';
import type { TokenBudgetModuleOptions } from '../token-budget-options.interface';
import { TokenBudgetConfigError } from './token-budget-config.error';
import { splitProblem } from './option-path';

/**
 * Reads budgets, tiers and assignments (any module option that is data) from a YAML or JSON file
 * and validates them with the module's own rules. Throws {@link TokenBudgetConfigError} with one
 * `file:line:column: path: problem` line per problem.
 *
 * @example
 * const options = readTokenBudgetConfig('config/token-budget.yaml');
 * TokenBudgetModule.forRoot({ ...options, storage: new RedisAdapter(process.env.REDIS_URL) });
 */
export function readTokenBudgetConfig(file: string): TokenBudgetModuleOptions {
  return readTokenBudgetConfigFile(file).options;
}

/**
 * Checks one top-level section of a config file that the app reads itself (not a module option):
 * returns one `path: problem` line per problem, the path starting with the section's key
 * (`requestPolicy.routes.chat.tools[0]: ...`); none when the section is valid.
 */
export type ConfigSectionValidator = (value: unknown) => string[];

/** A config file read by {@link readTokenBudgetConfigFile}: the module options and the app's own sections. */
export interface TokenBudgetConfigFile {
  options: TokenBudgetModuleOptions;
  /** The value of each section given that the file sets (absent ones are left out). */
  sections: Record<string, unknown>;
}

/**
 * {@link readTokenBudgetConfig} for a file that also holds sections of the app's own (top-level
 * keys that are not module options, e.g. a gateway's request policy): each is checked by its
 * validator, and its problems are reported with the module options' as `file:line:column: path:
 * problem` lines in one {@link TokenBudgetConfigError}.
 *
 * @example
 * const { options, sections } = readTokenBudgetConfigFile('gateway.yaml', { requestPolicy: (value) => policyProblems(value) });
 */
export function readTokenBudgetConfigFile(file: string, validators: Record<string, ConfigSectionValidator> = {}): TokenBudgetConfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TokenBudgetConfigError(file, [`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new TokenBudgetConfigError(
      file,
      doc.errors.map((error) => {
        const at = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
        return `${file}:${at.line}:${at.col}: syntax error: ${error.message.split('\n')[0]}`;
      }),
    );
  }
  if (!isMap(doc.contents)) {
    throw new TokenBudgetConfigError(file, [`${file}: must hold a mapping of module options, e.g. budgets:, tiers:`]);
  }
  const options = doc.toJS() as Record<string, unknown>;
  const sections: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, validate] of Object.entries(validators)) {
    if (!(key in options)) continue;
    sections[key] = options[key];
    delete options[key];
    problems.push(...validate(sections[key]));
  }
  try {
    validateOptions(options);
  } catch (error) {
    if (!(error instanceof TokenBudgetOptionsError)) throw error;
    problems.unshift(...error.problems);
  }
  if (problems.length)
    throw new TokenBudgetConfigError(
      file,
      problems.map((problem) => locate(file, problem, doc, lines)),
      Object.keys(validators),
    );
  return { options: options as TokenBudgetModuleOptions, sections };
}

/**
 * A `ConfigModule.forRoot({ load })` factory: the file's options under `key`, read and validated
 * when the app boots.
 *
 * @example
 * ConfigModule.forRoot({ load: [loadTokenBudgetConfig('config/token-budget.yaml')] })
 * // then, in TokenBudgetModule.forRootAsync: useFactory: (config: ConfigService) => config.getOrThrow('tokenBudget')
 */
export function loadTokenBudgetConfig(file: string, key = 'tokenBudget'): () => Record<string, TokenBudgetModuleOptions> {
  return () => ({ [key]: readTokenBudgetConfig(file) });
}

/** `file:line:col: problem`, at the deepest node of the problem's path the file has. */
function locate(file: string, problem: string, doc: Document, lines: LineCounter): string {
  const split = splitProblem(problem);
  if (!split) return `${file}: ${problem}`;
  for (let depth = split.path.length; depth > 0; depth--) {
    const node = nodeAt(doc, split.path.slice(0, depth));
    if (node?.range) {
      const at = lines.linePos(node.range[0]);
      return `${file}:${at.line}:${at.col}: ${problem}`;
    }
  }
  return `${file}: ${problem}`;
}

/** The value at `path` when it is a scalar; else its key (a block value starts on a later line). */
function nodeAt(doc: Document, path: (string | number)[]): Node | undefined {
  const node = doc.getIn(path, true);
  if (isScalar(node) && node.range) return node;
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  const pair = isMap(parent) ? parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(last)) : undefined;
  if (pair && isNode(pair.key) && pair.key.range) return pair.key;
  return isNode(node) ? node : undefined;
}
