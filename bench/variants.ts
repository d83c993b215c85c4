export const VARIANT_IDS = ['a', 'b', 'f', 'c', 'd', 'e'] as const;
export type VariantId = (typeof VARIANT_IDS)[number];

export const VARIANT_LABELS: Record<VariantId, string> = {
  a: 'bare route',
  b: 'no-op interceptor',
  c: 'guard + @TokenBudget, memory',
  d: 'guard + @TokenBudget, redis',
  e: 'module imported, route unbudgeted',
  f: 'no-op guard + no-op interceptor',
};

export const USES_REDIS: Record<VariantId, boolean> = { a: false, b: false, c: false, d: true, e: false, f: false };
export const IMPORTS_MODULE: Record<VariantId, boolean> = { a: false, b: false, c: true, d: true, e: true, f: false };
export const BUDGETED: Record<VariantId, boolean> = { a: false, b: false, c: true, d: true, e: false, f: false };

export const BENCH_USER = 'bench-user';

export interface Comparison {
  subject: VariantId;
  baseline: VariantId;
  target: number | null;
}

export const COMPARISONS: Comparison[] = [
  { subject: 'c', baseline: 'b', target: 0.95 },
  { subject: 'd', baseline: 'b', target: 0.8 },
  { subject: 'e', baseline: 'a', target: 0.98 },
  { subject: 'b', baseline: 'a', target: null },
  { subject: 'f', baseline: 'b', target: null },
  { subject: 'c', baseline: 'f', target: null },
  { subject: 'd', baseline: 'f', target: null },
];

export function isVariantId(value: unknown): value is VariantId {
  return typeof value === 'string' && (VARIANT_IDS as readonly string[]).includes(value);
}

export function rotated<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
