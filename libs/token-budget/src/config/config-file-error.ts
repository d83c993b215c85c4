/** A budget config file that cannot be used: unreadable, not YAML/JSON, or invalid options. */
export class TokenBudgetConfigError extends Error {
  /**
   * @param file the path as given
   * @param problems one line each: `<file>:<line>:<column>: <path>: <problem>` (or `<file>: ...` when no line applies)
   */
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`Invalid token budget config ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}\nFix the lines above; \`npx token-budget validate-config ${file}\` checks the file without starting the app.`);
    this.name = this.constructor.name;
  }
}
