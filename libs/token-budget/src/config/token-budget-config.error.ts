/** A budget config file that cannot be used: unreadable, not YAML/JSON, or invalid options. */
export class TokenBudgetConfigError extends Error {
  /**
   * @param file the path as given
   * @param problems one line each: `<file>:<line>:<column>: <path>: <problem>` (or `<file>: ...` when no line applies)
   * @param sections top-level sections the app reads itself (the command to check the file skips them)
   */
  constructor(
    readonly file: string,
    readonly problems: string[],
    sections: string[] = [],
  ) {
    const skip = sections.map((section) => ` --skip ${section}`).join('');
    super(
      `Invalid token budget config ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}\nFix the lines above; \`npx token-budget validate-config ${file}${skip}\` checks the file${sections.length ? ` (but for ${sections.join(', ')}, checked when the app boots)` : ''} without starting the app.`,
    );
    this.name = this.constructor.name;
  }
}
