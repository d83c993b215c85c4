import { findCatalogModel, type PricingTable } from 'nestjs-token-budget';

/**
 * The models the built-in mock serves: those the library's price catalog knows (`findCatalogModel`,
 * the matching cost budgets price with), and those named in the `pricing` option. Any other model
 * gets 404 `model_not_found`, as a provider answers.
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
  return configured ?? findCatalogModel(name)?.id;
}
