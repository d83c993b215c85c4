import { calcPrice } from '@pydantic/genai-prices';

/** A catalog price: a flat USD per million tokens, or one that rises past input-size thresholds. */
export type CatalogPrice = number | { base: number; tiers: { start: number; price: number }[] };

/** The prices of one model that token usage is charged at, in USD per million tokens. */
export interface PriceSheet {
  /** Catalog id of the model the name matched, for logs. */
  matched: string;
  input: CatalogPrice;
  output: CatalogPrice;
  cachedInput?: CatalogPrice;
  cacheWrite?: CatalogPrice;
}

/** Providers tried in turn when the model name alone does not tell the catalog which one serves it. */
const PROVIDERS = ['openai', 'anthropic', 'google', 'groq'];
/** Prices change on dated boundaries in the catalog: a looked-up sheet is reused for an hour. */
const SHEET_TTL_MS = 3_600_000;
const SHEET_CACHE_SIZE = 1_000;

const cache = new Map<string, { sheet: PriceSheet | undefined; until: number }>();

/**
 * Looks a model up in the price catalog bundled with @pydantic/genai-prices. The catalog ships
 * inside the package: no network call is made (its `updatePrices` auto-update is never enabled).
 * Dated snapshots (`gpt-4o-mini-2024-07-18`) match their model; `provider/model` names are tried
 * with that provider. Returns `undefined` for a model the catalog does not know.
 */
export function catalogPriceSheet(model: string, now = Date.now()): PriceSheet | undefined {
  const key = model.toLowerCase().trim();
  const cached = cache.get(key);
  if (cached && cached.until > now) return cached.sheet;
  const sheet = lookUp(key, new Date(now));
  if (cache.size >= SHEET_CACHE_SIZE) cache.clear();
  cache.set(key, { sheet, until: now + SHEET_TTL_MS });
  return sheet;
}

function lookUp(model: string, at: Date): PriceSheet | undefined {
  try {
    return findSheet(model, at);
  } catch {
    return undefined; // a catalog entry it cannot read is an unknown model, never a failed commit
  }
}

function findSheet(model: string, at: Date): PriceSheet | undefined {
  const usage = { input_tokens: 0, output_tokens: 0 };
  let found = calcPrice(usage, model, { timestamp: at });
  for (let i = 0; !found && i < PROVIDERS.length; i++) found = calcPrice(usage, model, { providerId: PROVIDERS[i], timestamp: at });
  const slash = model.indexOf('/');
  if (!found && slash > 0) found = calcPrice(usage, model.slice(slash + 1), { providerId: model.slice(0, slash), timestamp: at });
  if (!found) return undefined;
  const prices = found.model_price;
  const input = prices.input_mtok;
  const output = prices.output_mtok;
  if (input === undefined || output === undefined) return undefined;
  return {
    matched: `${found.provider.id}/${found.model.id}`,
    input: toCatalogPrice(input),
    output: toCatalogPrice(output),
    cachedInput: prices.cache_read_mtok === undefined ? undefined : toCatalogPrice(prices.cache_read_mtok),
    cacheWrite: prices.cache_write_mtok === undefined ? undefined : toCatalogPrice(prices.cache_write_mtok),
  };
}

function toCatalogPrice(price: number | { base: number; tiers: { start: number; price: number }[] }): CatalogPrice {
  return typeof price === 'number' ? price : { base: price.base, tiers: [...price.tiers].sort((a, b) => a.start - b.start) };
}

/** The price that applies to a call of `inputTokens` input tokens (tiers go by the input size, as providers bill them). */
export function priceAt(price: CatalogPrice, inputTokens: number): number {
  if (typeof price === 'number') return price;
  let current = price.base;
  for (const tier of price.tiers) if (inputTokens > tier.start) current = tier.price;
  return current;
}
