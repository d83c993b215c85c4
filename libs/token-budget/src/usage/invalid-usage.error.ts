/** Thrown when caller-supplied usage is not a valid token count; nothing is recorded. */
export class InvalidUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }

  /**
   * Builds the error from a short description of what is wrong.
   *
   * @example InvalidUsageError.create('outputTokens is -5')
   */
  static create(detail: string): InvalidUsageError {
    return new InvalidUsageError(
      `Invalid usage: ${detail}. Usage must be a non-negative integer token count or ` +
        '{ inputTokens, outputTokens, totalTokens } of non-negative integers; nothing was recorded.',
    );
  }
}
