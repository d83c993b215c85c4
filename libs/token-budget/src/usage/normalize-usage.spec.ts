import { InvalidUsageError } from './invalid-usage.error';
import { normalizeUsageInput } from './normalize-usage';

function errorOf(input: unknown): InvalidUsageError {
  try {
    normalizeUsageInput(input);
  } catch (error) {
    if (error instanceof InvalidUsageError) return error;
    throw error;
  }
  throw new Error('expected normalizeUsageInput to throw');
}

describe('normalizeUsageInput', () => {
  describe('valid input', () => {
    it('takes a number as the total', () => {
      expect(normalizeUsageInput(1200)).toStrictEqual({ inputTokens: 0, outputTokens: 0, totalTokens: 1200 });
    });

    it('accepts 0 and Number.MAX_SAFE_INTEGER', () => {
      expect(normalizeUsageInput(0)).toStrictEqual({ inputTokens: 0, outputTokens: 0, totalTokens: 0 });
      expect(normalizeUsageInput(Number.MAX_SAFE_INTEGER).totalTokens).toBe(9007199254740991);
    });

    it('defaults totalTokens to input + output', () => {
      expect(normalizeUsageInput({ inputTokens: 1486, outputTokens: 651 })).toStrictEqual({
        inputTokens: 1486,
        outputTokens: 651,
        totalTokens: 2137,
      });
    });

    it('defaults a missing side to 0', () => {
      expect(normalizeUsageInput({ inputTokens: 8 })).toStrictEqual({ inputTokens: 8, outputTokens: 0, totalTokens: 8 });
      expect(normalizeUsageInput({ outputTokens: 15 })).toStrictEqual({ inputTokens: 0, outputTokens: 15, totalTokens: 15 });
      expect(normalizeUsageInput({ totalTokens: 42 })).toStrictEqual({ inputTokens: 0, outputTokens: 0, totalTokens: 42 });
    });

    it('keeps an explicit totalTokens', () => {
      expect(normalizeUsageInput({ inputTokens: 11, outputTokens: 227, totalTokens: 260 })).toStrictEqual({
        inputTokens: 11,
        outputTokens: 227,
        totalTokens: 260,
      });
    });

    it('keeps optional fields and drops unknown keys', () => {
      const input = {
        inputTokens: 1025,
        outputTokens: 15,
        cachedInputTokens: 0,
        cacheWriteTokens: 1000,
        reasoningTokens: 5,
        model: 'claude-sonnet-4-5',
        estimated: true,
        extra: 'ignored',
      };
      expect(normalizeUsageInput(input)).toStrictEqual({
        inputTokens: 1025,
        outputTokens: 15,
        totalTokens: 1040,
        cachedInputTokens: 0,
        cacheWriteTokens: 1000,
        reasoningTokens: 5,
        model: 'claude-sonnet-4-5',
        estimated: true,
      });
    });

    it('does not modify its input', () => {
      const input = Object.freeze({ inputTokens: 3, outputTokens: 4 });
      const usage = normalizeUsageInput(input);
      expect(usage).not.toBe(input);
      expect(input).toStrictEqual({ inputTokens: 3, outputTokens: 4 });
    });
  });

  describe('invalid input', () => {
    const invalid: [string, unknown, string][] = [
      ['negative', -5, '-5'],
      ['NaN', NaN, 'NaN'],
      ['a numeric string', '12', 'the string "12"'],
      ['a fraction', 1.5, '1.5'],
      ['Infinity', Infinity, 'Infinity'],
      ['-Infinity', -Infinity, '-Infinity'],
      ['past MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER + 1, '9007199254740992'],
      ['null', null, 'null'],
      ['a bigint', BigInt(5), 'the bigint 5n'],
    ];

    it.each(invalid)('rejects outputTokens %s', (_label, value, shown) => {
      const error = errorOf({ inputTokens: 10, outputTokens: value });
      expect(error.message).toBe(
        `Invalid usage: outputTokens is ${shown}. Usage must be a non-negative integer token count or ` +
          '{ inputTokens, outputTokens, totalTokens } of non-negative integers; nothing was recorded.',
      );
    });

    it.each(['inputTokens', 'totalTokens', 'cachedInputTokens', 'cacheWriteTokens', 'reasoningTokens'])(
      'names %s when it is invalid',
      (field) => {
        expect(errorOf({ outputTokens: 1, [field]: -1 }).message).toContain(`Invalid usage: ${field} is -1.`);
      },
    );

    it.each(invalid.filter(([, value]) => typeof value === 'number'))('rejects a bare number that is %s', (_label, value, shown) => {
      expect(errorOf(value).message).toContain(`Invalid usage: token count is ${shown}.`);
    });

    it.each([
      ['null', null, 'got null'],
      ['undefined', undefined, 'got undefined'],
      ['an array', [], 'got an array'],
      ['a string', '12', 'got the string "12"'],
      ['a boolean', true, 'got true'],
    ])('rejects %s', (_label, value, detail) => {
      expect(errorOf(value).message).toContain(`Invalid usage: ${detail}.`);
    });

    it('rejects an object with none of the token fields', () => {
      expect(errorOf({}).message).toContain('Invalid usage: none of inputTokens, outputTokens, totalTokens is set.');
      expect(errorOf({ cachedInputTokens: 5, model: 'gpt-4.1' }).message).toContain('none of inputTokens');
    });

    it('rejects a non-string model and a non-boolean estimated', () => {
      expect(errorOf({ totalTokens: 1, model: 5 }).message).toContain('Invalid usage: model is 5, not a string.');
      expect(errorOf({ totalTokens: 1, estimated: 'yes' }).message).toContain(
        'Invalid usage: estimated is the string "yes", not a boolean.',
      );
    });

    it('rejects input + output past MAX_SAFE_INTEGER when no total is given', () => {
      expect(errorOf({ inputTokens: Number.MAX_SAFE_INTEGER, outputTokens: 1 }).message).toContain(
        'Invalid usage: inputTokens + outputTokens is past Number.MAX_SAFE_INTEGER.',
      );
    });

    it('turns a throwing getter into InvalidUsageError', () => {
      const input = {
        get inputTokens(): number {
          throw new Error('boom');
        },
      };
      expect(errorOf(input).message).toContain('Invalid usage: usage could not be read (boom).');
    });
  });
});

describe('InvalidUsageError', () => {
  it('is an Error named InvalidUsageError', () => {
    const error = InvalidUsageError.create('outputTokens is -5');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(InvalidUsageError);
    expect(error.name).toBe('InvalidUsageError');
    expect(error.message).toBe(
      'Invalid usage: outputTokens is -5. Usage must be a non-negative integer token count or ' +
        '{ inputTokens, outputTokens, totalTokens } of non-negative integers; nothing was recorded.',
    );
  });
});
