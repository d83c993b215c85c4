import type { PricingTable } from 'nestjs-token-budget';
import { knownModelName } from '../upstream/known-models';

/** Distinct names, beyond the known models, that get a `model` label of their own. */
export const MAX_UNKNOWN_MODEL_LABELS = 20;
/** The `model` label of usage whose model is unknown once {@link MAX_UNKNOWN_MODEL_LABELS} are taken. */
export const OTHER_MODEL = 'other';
/** The `model` label of usage that names no model. */
export const UNNAMED_MODEL = 'unknown';
/** Longest label value kept as is. */
export const MAX_LABEL_LENGTH = 64;
/** What a label value may be made of: letters, digits and `.` `_` `:` `/` `@` `+` `-`, starting with a letter or digit. */
const SAFE_LABEL = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/;

/**
 * A label value from outside (a model name, a scope): kept when it is at most
 * {@link MAX_LABEL_LENGTH} characters of the safe alphabet, else {@link OTHER_MODEL} (`other`), so
 * no newline, NUL, bidi control or megabyte reaches `/metrics`.
 */
export function safeLabel(value: string): string {
  return value.length <= MAX_LABEL_LENGTH && SAFE_LABEL.test(value) ? value : OTHER_MODEL;
}

/**
 * The `model` label of a committed call, from a bounded set: the model name comes from the
 * caller's body or the upstream's answer, so labelling by it as sent would let a caller grow the
 * metrics by one series per invented name. A model the catalog or the `pricing` option knows is
 * labelled by its canonical name; the first {@link MAX_UNKNOWN_MODEL_LABELS} other names (local
 * models of an OpenAI-compatible upstream, say) by themselves; anything later, and any name that
 * is not a {@link safeLabel}, as `other`.
 */
export class ModelLabels {
  private readonly known = new Map<string, string>();
  private readonly unknown = new Set<string>();

  constructor(private readonly pricing: PricingTable = {}) {}

  of(model: string | undefined): string {
    if (model === undefined || model.trim() === '') return UNNAMED_MODEL;
    // nothing of an unsafe name is looked up or kept
    if (safeLabel(model) === OTHER_MODEL) return OTHER_MODEL;
    const cached = this.known.get(model);
    if (cached !== undefined) return cached;
    const name = knownModelName(model, this.pricing);
    if (name !== undefined) {
      const label = safeLabel(name);
      if (this.known.size < 10_000) this.known.set(model, label);
      return label;
    }
    if (this.unknown.has(model)) return model;
    if (this.unknown.size >= MAX_UNKNOWN_MODEL_LABELS) return OTHER_MODEL;
    this.unknown.add(model);
    return model;
  }
}
