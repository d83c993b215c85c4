import type { PricingTable } from 'nestjs-token-budget';
import { knownModelName } from '../upstream/known-models';

/** Distinct names, beyond the known models, that get a `model` label of their own. */
export const MAX_UNKNOWN_MODEL_LABELS = 20;
/** The `model` label of usage whose model is unknown once {@link MAX_UNKNOWN_MODEL_LABELS} are taken. */
export const OTHER_MODEL = 'other';
/** The `model` label of usage that names no model. */
export const UNNAMED_MODEL = 'unknown';

/**
 * The `model` label of a committed call, from a bounded set: the model name comes from the
 * caller's body or the upstream's answer, so labelling by it as sent would let a caller grow the
 * metrics by one series per invented name. A model the catalog or the `pricing` option knows is
 * labelled by its canonical name; the first {@link MAX_UNKNOWN_MODEL_LABELS} other names (local
 * models of an OpenAI-compatible upstream, say) by themselves; anything later as `other`.
 */
export class ModelLabels {
  private readonly known = new Map<string, string>();
  private readonly unknown = new Set<string>();

  constructor(private readonly pricing: PricingTable = {}) {}

  of(model: string | undefined): string {
    if (model === undefined || model.trim() === '') return UNNAMED_MODEL;
    const cached = this.known.get(model);
    if (cached !== undefined) return cached;
    const name = knownModelName(model, this.pricing);
    if (name !== undefined) {
      if (this.known.size < 10_000) this.known.set(model, name);
      return name;
    }
    if (this.unknown.has(model)) return model;
    if (this.unknown.size >= MAX_UNKNOWN_MODEL_LABELS) return OTHER_MODEL;
    this.unknown.add(model);
    return model;
  }
}
