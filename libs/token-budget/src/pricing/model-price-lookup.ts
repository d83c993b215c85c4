import { MAX_MODEL_NAME_LENGTH } from './cost-calculator';
import { isLocalModelName } from './local-models';
import { DEFAULT_PRICE_KEY, type ModelPricing, type PricingTable } from './model-pricing';
import { catalogPriceSheet, type PriceSheet } from './price-catalog';

/**
 * Where the price of a model name comes from, as cost budgets price it:
 * - `pricing`: an entry of the `pricing` option names it;
 * - `catalog`: the bundled price catalog knows it;
 * - `default`: nothing names it and the `pricing` option's `'*'` entry prices it;
 * - `local`: a local-looking `name:tag` (Ollama) that nothing prices: its calls cost 0;
 * - `unknown`: nothing prices it (or the name is over 256 characters): its calls cost 0.
 */
export type ModelPriceLookup =
  { source: 'pricing' | 'default'; pricing: ModelPricing } | { source: 'catalog'; sheet: PriceSheet } | { source: 'local' | 'unknown' };

/**
 * How cost budgets price `model`, without pricing anything: the look-up the cost calculator makes
 * (the `pricing` entry, else a local name costs 0, else the catalog, else the `'*'` entry). Lets an
 * app refuse, before the call, a model its cost budgets could not hold.
 *
 * @example
 * if (['local', 'unknown'].includes(lookUpModelPrice(body.model, options.pricing).source)) throw new BadRequestException('unpriced model');
 */
export function lookUpModelPrice(model: string, pricing: PricingTable = {}, now = Date.now()): ModelPriceLookup {
  const fallback = pricingEntry(pricing, DEFAULT_PRICE_KEY);
  if (model.length > MAX_MODEL_NAME_LENGTH || model.trim() === '')
    return fallback ? { source: 'default', pricing: fallback } : { source: 'unknown' };
  const key = model.toLowerCase().trim();
  const own = key === DEFAULT_PRICE_KEY ? undefined : pricingEntry(pricing, key);
  if (own) return { source: 'pricing', pricing: own };
  const local = isLocalModelName(model);
  const sheet = local ? undefined : catalogPriceSheet(key, now);
  if (sheet) return { source: 'catalog', sheet };
  if (fallback) return { source: 'default', pricing: fallback };
  return { source: local ? 'local' : 'unknown' };
}

function pricingEntry(pricing: PricingTable, key: string): ModelPricing | undefined {
  for (const [name, price] of Object.entries(pricing)) if (name.toLowerCase().trim() === key) return price;
  return undefined;
}
