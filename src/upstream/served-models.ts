import { listCatalogModels, type PricingTable } from 'nestjs-token-budget';

/** A model the gateway serves and can price. */
export interface ServedModel {
  id: string;
  /** `openai` or `anthropic` for the catalog's models, `pricing` for the `pricing` option's. */
  ownedBy: string;
  displayName: string;
}

/**
 * The models the gateway serves and prices: the `pricing` option's, then the library's price
 * catalog's (`listCatalogModels`) for `family` (OpenAI's for the OpenAI routes, Anthropic's for
 * `/v1/messages`), without the catalog's deprecated entries.
 */
export function servedModels(family: 'openai' | 'anthropic', pricing: PricingTable = {}): ServedModel[] {
  const configured = Object.keys(pricing).map((id) => ({ id, ownedBy: 'pricing', displayName: id }));
  const catalog = listCatalogModels(family)
    .filter((model) => !model.deprecated)
    .map((model) => ({ id: model.id, ownedBy: family, displayName: model.name }));
  const seen = new Set<string>();
  return [...configured, ...catalog].filter((model) => !seen.has(model.id) && seen.add(model.id));
}
