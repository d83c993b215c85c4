import { ValidateBy } from 'class-validator';
import { isTokenCount } from '../token-count';

/**
 * A token count a counter holds exactly: a non-negative integer up to `Number.MAX_SAFE_INTEGER`
 * (a larger one loses units in a double, and Redis scripts cannot write it back as an integer).
 */
export function IsTokenCount(): PropertyDecorator {
  return ValidateBy({
    name: 'isTokenCount',
    validator: {
      validate: (value) => isTokenCount(value),
      defaultMessage: () => 'must be a non-negative integer',
    },
  });
}
