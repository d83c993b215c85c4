import { calcPrice, findProvider } from '@pydantic/genai-prices';

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

/** A model of the price catalog, as {@link findCatalogModel} and {@link listCatalogModels} give it. */
export interface CatalogModel {
  /** Catalog id of the provider: `openai`, `anthropic`, `google`, `groq`, ... */
  provider: string;
  /** Catalog id of the model (`gpt-4o-mini`; many names match one id: `gpt-4o-mini-2024-07-18` is `gpt-4o-mini`). */
  id: string;
  /** Display name (the id when the catalog has none). */
  name: string;
  /** True for a model the catalog marks deprecated. */
  deprecated: boolean;
}

/**
 * Longest model name looked up in the catalog. Model names come from request bodies: a longer one
 * names no priced model, and looking it up (and keeping it) would cost CPU and memory per request.
 */
export const MAX_MODEL_NAME_LENGTH = 256;
/** Providers tried in turn when the model name alone does not tell the catalog which one serves it. */
const PROVIDERS = ['openai', 'anthropic', 'google', 'groq'];
const NO_USAGE = { input_tokens: 0, output_tokens: 0 };
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

type CatalogMatch = ReturnType<typeof calcPrice>;

/** The catalog entry `model` (lower-cased, trimmed) matches: the bare name, then each provider in turn, then `provider/model`. */
function findEntry(model: string, at: Date): CatalogMatch {
  let found = calcPrice(NO_USAGE, model, { timestamp: at });
  for (let i = 0; !found && i < PROVIDERS.length; i++) found = calcPrice(NO_USAGE, model, { providerId: PROVIDERS[i], timestamp: at });
  const slash = model.indexOf('/');
  if (!found && slash > 0) found = calcPrice(NO_USAGE, model.slice(slash + 1), { providerId: model.slice(0, slash), timestamp: at });
  return found;
}

function findSheet(model: string, at: Date): PriceSheet | undefined {
  const found = findEntry(model, at);
  if (!found) return undefined;
  const prices = found.model_price;
  const input = prices.input_mtok;
  const output = prices.output_mtok;
  if (input === undefined) return undefined;
  return {
    matched: `${found.provider.id}/${found.model.id}`,
    input: toCatalogPrice(input),
    // a model the catalog gives no output price (embeddings) bills its input only
    output: output === undefined ? 0 : toCatalogPrice(output),
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

/**
 * The price-catalog model a name matches, the way cost budgets match it (case-insensitive; dated
 * snapshots find their model; the bare name, then each of OpenAI, Anthropic, Google, Groq, then
 * `provider/model`), whether or not the catalog prices its tokens (embeddings have an input price
 * only). `undefined` for a name the catalog does not know or one over 256 characters. For how a
 * name is priced, `pricing` option included, see `lookUpModelPrice`.
 *
 * @example findCatalogModel('gpt-4o-mini-2024-07-18') // { provider: 'openai', id: 'gpt-4o-mini', name: 'gpt 4o mini', deprecated: false }
 */
export function findCatalogModel(model: string, now = Date.now()): CatalogModel | undefined {
  if (model.length > MAX_MODEL_NAME_LENGTH) return undefined;
  try {
    const found = findEntry(model.toLowerCase().trim(), new Date(now));
    return found ? catalogModelOf(found.provider.id, found.model) : undefined;
  } catch {
    return undefined;
  }
}

/** Every model the price catalog lists for `provider` (`openai`, `anthropic`, `google`, `groq`, ...); none for an unknown provider. */
export function listCatalogModels(provider: string): CatalogModel[] {
  try {
    return (findProvider({ providerId: provider })?.models ?? []).map((model) => catalogModelOf(provider, model));
  } catch {
    return [];
  }
}

function catalogModelOf(provider: string, model: { id: string; name?: string; deprecated?: boolean }): CatalogModel {
  return { provider, id: model.id, name: model.name ?? model.id, deprecated: model.deprecated === true };
}
