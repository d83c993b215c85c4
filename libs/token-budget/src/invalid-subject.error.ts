/** A subject (user id, tenant id, ...) that cannot address a budget: empty or too long. */
export class InvalidSubjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }

  static create(scope: string, detail: string): InvalidSubjectError {
    return new InvalidSubjectError(
      `Invalid ${scope} id: ${detail}. Pass a non-empty id within maxIdLength characters (raise maxIdLength in the module options if your ids are longer); nothing was reserved or recorded.`,
    );
  }
}
