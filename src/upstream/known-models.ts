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
  return knownModelName(model, pricing) !== undefined;
}

/**
 * The canonical name of a model the gateway knows: the `pricing` option's key that names it, else
 * the catalog's id of the entry that prices it (many names match one entry: the catalog matches
 * prefixes, so `claude-3-5-sonnet-<anything>` is `claude-3-5-sonnet`); `undefined` when unknown.
 */
export function knownModelName(model: string, pricing: PricingTable = {}): string | undefined {
  const name = model.trim().toLowerCase();
  const configured = Object.keys(pricing).find((key) => key.toLowerCase() === name);
  if (configured !== undefined) return configured;
  return lookUp(name) ?? PROVIDERS.map((providerId) => lookUp(name, providerId)).find((id) => id !== undefined);
}

function lookUp(model: string, providerId?: string): string | undefined {
  try {
    return calcPrice(NO_USAGE, model, providerId ? { providerId } : undefined)?.model.id ?? undefined;
  } catch {
    return undefined;
  }
}
