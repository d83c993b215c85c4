/**
 * Prices of one model in USD per million tokens, as providers publish them.
 *
 * @example { input: 0.5, output: 1.5, cachedInput: 0.05, cacheWrite: 0.625 }
 */
export interface ModelPricing {
  /**
   * USD per million input tokens (uncached). Required.
   * @example 0.15
   */
  input: number;
  /**
   * USD per million output tokens (reasoning / thinking tokens included). Required.
   * @example 0.6
   */
  output: number;
  /**
   * USD per million input tokens read from the provider's prompt cache.
   * @default the input price
   * @example 0.075
   */
  cachedInput?: number;
  /**
   * USD per million input tokens written to the provider's prompt cache.
   * @default the input price
   * @example 3.75
   */
  cacheWrite?: number;
}

/**
 * Price overrides by model name (exact match, case-insensitive), consulted before the catalog. The
 * entry {@link DEFAULT_PRICE_KEY} (`'*'`) prices every model that no other entry and no catalog
 * entry prices, local-looking `name:tag` names included.
 */
export type PricingTable = Record<string, ModelPricing>;

/** Key of the `pricing` entry that prices models nothing else prices (otherwise they cost 0). */
export const DEFAULT_PRICE_KEY = '*';
