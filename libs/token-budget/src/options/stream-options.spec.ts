import { TokenBudgetOptionsError } from '../token-budget-options.error';
import { validateOptions } from './validate-options';

describe('stopStreamWhenExhausted option', () => {
  it('accepts a boolean', () => {
    expect(() => validateOptions({ stopStreamWhenExhausted: true })).not.toThrow();
  });

  it('refuses anything else with one line naming the field', () => {
    let error: unknown;
    try {
      validateOptions({ stopStreamWhenExhausted: 'yes' as never });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TokenBudgetOptionsError);
    expect((error as TokenBudgetOptionsError).problems).toEqual(['stopStreamWhenExhausted: must be a boolean value']);
  });
});
