import { calcPrice } from '@pydantic/genai-prices';
import type { PricingTable } from 'nestjs-token-budget';

/** Providers the catalog is searched under when the model name alone does not match. */
const PROVIDERS = ['openai', 'anthropic', 'google', 'groq'];
const NO_USAGE = { input_tokens: 0, output_tokens: 0 };

/**
 * The models the built-in mock serves: those the bundled price catalog (@pydantic/genai-prices,
 * the one the library prices with) lists under any of its providers, and those named in the
 * `pricing` option. Any other model gets 404 `model_not_found`, as a provider answers.
 */
export function isKnownModel(model: string, pricing: PricingTable = {}): boolean {
  const name = model.trim().toLowerCase();
  if (Object.keys(pricing).some((key) => key.toLowerCase() === name)) return true;
  if (lookUp(name)) return true;
  return PROVIDERS.some((providerId) => lookUp(name, providerId));
}

function lookUp(model: string, providerId?: string): boolean {
  try {
    return calcPrice(NO_USAGE, model, providerId ? { providerId } : undefined) != null;
  } catch {
    return false;
  }
}
