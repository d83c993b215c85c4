/** A key creation with bad input (e.g. an unknown tier); nothing was stored. */
export class InvalidKeyRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }

  static create(detail: string, fix: string): InvalidKeyRequestError {
    return new InvalidKeyRequestError(`${detail}. ${fix}; no key was created.`);
  }
}
