/** A `grant`, `setLimit`, `listUsage` or `spendReport` call with bad input; nothing was stored. */
export class InvalidAdminRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }

  static create(call: string, detail: string, fix: string): InvalidAdminRequestError {
    return new InvalidAdminRequestError(`${call}: ${detail}. ${fix}; nothing was changed.`);
  }
}
