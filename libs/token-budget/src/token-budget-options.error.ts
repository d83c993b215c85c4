/** Module options that failed validation at boot; one `path: problem` line per bad field. */
export class TokenBudgetOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid TokenBudgetModule options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = this.constructor.name;
  }
}
