import { Logger } from '@nestjs/common';
import type { EstimateInput } from '../estimation/usage-estimate';
import type { Usage } from '../usage/usage.interface';
import { usdToNanos } from './money';
import { InvalidUsageError } from '../usage/invalid-usage.error';
import { isLocalModelName } from './local-models';
import { DEFAULT_PRICE_KEY, type ModelPricing, type PricingTable } from './model-pricing';
import { CatalogPrice, catalogPriceSheet, MAX_MODEL_NAME_LENGTH, priceAt } from './price-catalog';

/** Options the calculator reads from the module options. */
export interface CostCalculatorOptions {
  pricing?: PricingTable;
  defaultModel?: string;
  /** True when some budget has a cost limit: then usage that cannot be priced is worth a warning. */
  costLimited: boolean;
}

interface Sheet {
  input: CatalogPrice;
  output: CatalogPrice;
  cachedInput?: CatalogPrice;
  cacheWrite?: CatalogPrice;
}

export { MAX_MODEL_NAME_LENGTH };
/** Distinct models warned about; past this many, one last warning says further ones are not logged. */
export const MAX_WARNED_MODELS = 100;

/** Pico-dollars (1e-12 USD) per token of a price in USD per million tokens: exact for prices with up to 6 decimals. */
const picoPerToken = (usdPerMillion: number): bigint => BigInt(Math.round(usdPerMillion * 1e6));

/**
 * Prices token usage and estimates into integer nano-dollars. Each call is summed exactly in
 * pico-dollars and rounded up once to a whole nano-dollar, so a call is never charged less than it
 * costs and by at most $0.000000001 more.
 *
 * Prices come from the `pricing` overrides (exact model name), else the bundled catalog, else the
 * `pricing` option's `'*'` entry when it has one. Without it, local `name:tag` models cost 0, and
 * so do models nobody prices (one warning per model). Native Ollama results always cost 0. Pricing never throws on a model it cannot price: the provider has billed by then.
 */
export class CostCalculator {
  private readonly logger = new Logger('TokenBudgetPricing');
  private readonly overrides = new Map<string, Sheet>();
  private readonly warned = new Set<string>();
  /** The `'*'` entry: the price of models nothing else prices. */
  private readonly fallback: Sheet | undefined;

  constructor(private readonly options: CostCalculatorOptions) {
    for (const [model, pricing] of Object.entries(options.pricing ?? {}))
      this.overrides.set(model.toLowerCase().trim(), fromOverride(pricing));
    this.fallback = this.overrides.get(DEFAULT_PRICE_KEY);
    this.overrides.delete(DEFAULT_PRICE_KEY);
  }

  /** Cost of actual usage in nano-dollars (0 when the model cannot be priced). */
  usageCost(usage: Usage, now = Date.now()): number {
    const sheet =
      usage.provider === 'ollama' ? this.free(usage.model ?? 'ollama', 'a local Ollama model') : this.sheetFor(usage.model, now);
    if (!sheet) return 0;
    const input = usage.inputTokens;
    const cached = Math.min(usage.cachedInputTokens ?? 0, input);
    const written = Math.min(usage.cacheWriteTokens ?? 0, input - cached);
    const unsplit = Math.max(0, usage.totalTokens - input - usage.outputTokens);
    const inPrice = priceAt(sheet.input, input);
    const outPrice = priceAt(sheet.output, input);
    const pico =
      BigInt(input - cached - written) * picoPerToken(inPrice) +
      BigInt(cached) * picoPerToken(sheet.cachedInput === undefined ? inPrice : priceAt(sheet.cachedInput, input)) +
      BigInt(written) * picoPerToken(sheet.cacheWrite === undefined ? inPrice : priceAt(sheet.cacheWrite, input)) +
      BigInt(usage.outputTokens) * picoPerToken(outPrice) +
      // a bare token total says nothing of its split: charged at the dearer of the two prices
      BigInt(unsplit) * picoPerToken(Math.max(inPrice, outPrice));
    return toNanos(pico, 'usage');
  }

  /**
   * Cost of an estimate in nano-dollars. With a model (the estimate's, else `defaultModel`), input
   * and output at their prices; a bare token number at the dearer of the default model's input and
   * output prices (so the hold is never short); 0 when there is no model to price. Plus the
   * estimate's `feesUsd`, which need no model.
   */
  estimateCost(estimate: EstimateInput, now = Date.now()): number {
    if (typeof estimate === 'number') {
      if (estimate === 0) return 0;
      const sheet = this.sheetFor(undefined, now);
      if (!sheet) return 0;
      const dearer = Math.max(priceAt(sheet.input, estimate), priceAt(sheet.output, estimate));
      return toNanos(BigInt(estimate) * picoPerToken(dearer), 'estimate');
    }
    const fees = usdToNanos(estimate.feesUsd ?? 0);
    if (estimate.inputTokens + estimate.outputTokens === 0) return fees;
    const sheet = this.sheetFor(estimate.model, now);
    if (!sheet) return fees;
    const pico =
      BigInt(estimate.inputTokens) * picoPerToken(priceAt(sheet.input, estimate.inputTokens)) +
      BigInt(estimate.outputTokens) * picoPerToken(priceAt(sheet.output, estimate.inputTokens)) +
      BigInt(fees) * 1000n;
    return toNanos(pico, 'estimate');
  }

  private sheetFor(model: string | undefined, now: number): Sheet | undefined {
    const name = model ?? this.options.defaultModel;
    if (name === undefined || name === '') {
      if (this.options.costLimited)
        this.warnOnce(
          '',
          'Usage without a model costs 0 against cost budgets; set defaultModel, or pass the model with the usage or estimate',
        );
      return undefined;
    }
    if (name.length > MAX_MODEL_NAME_LENGTH) {
      if (this.fallback) return this.fallback;
      this.warnOnce(
        LONG_NAME,
        `A model name of ${name.length} characters ('${name.slice(0, 40)}...') was priced at 0 without a catalog look-up: no priced model has a name longer than ${MAX_MODEL_NAME_LENGTH} characters`,
      );
      return undefined;
    }
    const key = name.toLowerCase().trim();
    const override = this.overrides.get(key);
    if (override) return override;
    if (isLocalModelName(name)) return this.fallback ?? this.free(name, 'a local model');
    const sheet = catalogPriceSheet(key, now) ?? this.fallback;
    if (!sheet)
      this.warnOnce(
        key,
        `No price for model '${name}': its calls cost 0 against cost budgets. Add it to the pricing option, e.g. pricing: { '${name}': { input: 0.5, output: 1.5 } } (USD per million tokens)`,
      );
    return sheet;
  }

  private free(model: string, what: string): undefined {
    this.warnOnce(model.toLowerCase(), `Model '${model}' is ${what}: its calls cost 0 (give it a price in the pricing option to count it)`);
    return undefined;
  }

  /** One warning per key, for at most {@link MAX_WARNED_MODELS} keys: model names may come from untrusted bodies. */
  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key) || this.warned.size > MAX_WARNED_MODELS) return;
    this.warned.add(key);
    if (this.warned.size > MAX_WARNED_MODELS) {
      this.logger.warn(`More than ${MAX_WARNED_MODELS} models could not be priced; further ones are priced at 0 without a warning`);
      return;
    }
    this.logger.warn(message);
  }
}

/** Warning key of over-long model names (never a model name: it has a space). */
const LONG_NAME = 'long model name';

function fromOverride(pricing: ModelPricing): Sheet {
  return { input: pricing.input, output: pricing.output, cachedInput: pricing.cachedInput, cacheWrite: pricing.cacheWrite };
}

/** Rounds pico-dollars up to whole nano-dollars; refuses a cost no counter can hold exactly. */
function toNanos(pico: bigint, what: string): number {
  const nanos = (pico + 999n) / 1000n;
  if (nanos > BigInt(Number.MAX_SAFE_INTEGER))
    throw InvalidUsageError.create(`the cost of this ${what} is past $9,007,199: check its token counts`);
  return Number(nanos);
}
