export const ALL_VARIANT_IDS = ['a', 'b', 'f', 'c', 'd', 'e', 'g', 'h', 'i'] as const;
export type VariantId = (typeof ALL_VARIANT_IDS)[number];

/** The variants of this run: all, or those listed in BENCH_VARIANTS (e.g. `a,g,h,i`). */
function selectedVariants(): readonly VariantId[] {
  const raw = process.env.BENCH_VARIANTS;
  if (!raw) return ALL_VARIANT_IDS;
  const ids = raw.split(',').map((id) => id.trim());
  const unknown = ids.filter((id) => !(ALL_VARIANT_IDS as readonly string[]).includes(id));
  if (unknown.length) throw new Error(`BENCH_VARIANTS: unknown variant(s) ${unknown.join(', ')}; the variants are ${ALL_VARIANT_IDS.join(', ')}`);
  return ALL_VARIANT_IDS.filter((id) => ids.includes(id));
}

export const VARIANT_IDS: readonly VariantId[] = selectedVariants();

export const VARIANT_LABELS: Record<VariantId, string> = {
  a: 'bare route',
  b: 'no-op interceptor',
  c: 'guard + @TokenBudget, memory',
  d: 'guard + @TokenBudget, redis',
  e: 'module imported, route unbudgeted',
  f: 'no-op guard + no-op interceptor',
  g: 'ThrottlerGuard, its own storage, one hot key, 60 s window',
  h: 'TierThrottlerGuard, memory, one hot key, 60 s window',
  i: 'TierThrottlerGuard, redis, one hot key, 60 s window',
};

export const USES_REDIS: Record<VariantId, boolean> = { a: false, b: false, c: false, d: true, e: false, f: false, g: false, h: false, i: true };
export const IMPORTS_MODULE: Record<VariantId, boolean> = { a: false, b: false, c: true, d: true, e: true, f: false, g: false, h: true, i: true };
export const TIER_LIMITED: Record<VariantId, boolean> = { a: false, b: false, c: false, d: false, e: false, f: false, g: false, h: true, i: true };
export const BUDGETED: Record<VariantId, boolean> = { a: false, b: false, c: true, d: true, e: false, f: false, g: false, h: false, i: false };

export const BENCH_USER = 'bench-user';

export interface Comparison {
  subject: VariantId;
  baseline: VariantId;
  target: number | null;
}

const ALL_COMPARISONS: Comparison[] = [
  { subject: 'c', baseline: 'b', target: 0.95 },
  { subject: 'd', baseline: 'b', target: 0.8 },
  { subject: 'e', baseline: 'a', target: 0.98 },
  { subject: 'b', baseline: 'a', target: null },
  { subject: 'f', baseline: 'b', target: null },
  { subject: 'c', baseline: 'f', target: null },
  { subject: 'd', baseline: 'f', target: null },
  { subject: 'h', baseline: 'a', target: 0.9 },
  { subject: 'h', baseline: 'g', target: 2 },
  { subject: 'g', baseline: 'a', target: null },
  { subject: 'i', baseline: 'a', target: null },
  { subject: 'i', baseline: 'g', target: null },
];

export const COMPARISONS: Comparison[] = ALL_COMPARISONS.filter((c) => VARIANT_IDS.includes(c.subject) && VARIANT_IDS.includes(c.baseline));

export function isVariantId(value: unknown): value is VariantId {
  return typeof value === 'string' && (ALL_VARIANT_IDS as readonly string[]).includes(value);
}

export function rotated<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
