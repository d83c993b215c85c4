/**
 * The variants of the overhead bench. `a2` is printed a′ (a with a no-op interceptor); `g0` and `g`
 * are the route that awaits a mock upstream, bare and budgeted; `m`, `t` and `tr` are extra.
 */
export const ALL_VARIANT_IDS = ['a', 'a2', 'b', 'c', 'd', 'e', 'f', 'g0', 'g', 'm', 't', 'tr'] as const;
export type VariantId = (typeof ALL_VARIANT_IDS)[number];

/** The variants of this run: all, or those listed in BENCH_VARIANTS (e.g. `a,a2,c`). */
function selectedVariants(): readonly VariantId[] {
  const raw = process.env.BENCH_VARIANTS;
  if (!raw) return ALL_VARIANT_IDS;
  const ids = raw.split(',').map((id) => id.trim());
  const unknown = ids.filter((id) => !(ALL_VARIANT_IDS as readonly string[]).includes(id));
  if (unknown.length)
    throw new Error(`BENCH_VARIANTS: unknown variant(s) ${unknown.join(', ')}; the variants are ${ALL_VARIANT_IDS.join(', ')}`);
  return ALL_VARIANT_IDS.filter((id) => ids.includes(id));
}

export const VARIANT_IDS: readonly VariantId[] = selectedVariants();

/** How a variant is printed: `a2` is a′. */
export function shown(id: VariantId): string {
  return id === 'a2' ? "a'" : id;
}

export const VARIANT_LABELS: Record<VariantId, string> = {
  a: 'bare route',
  a2: 'no-op interceptor',
  b: '@nestjs/throttler ThrottlerGuard, its in-memory storage (one key, 60 s window)',
  c: 'TokenBudgetGuard + @TokenBudget(), MemoryAdapter',
  d: 'TokenBudgetGuard + @TokenBudget(), RedisAdapter',
  e: 'TierThrottlerGuard + TokenBudgetGuard + @TokenBudget(), RedisAdapter',
  f: 'TokenBudgetGuard + @TokenBudget(), user + tenant + global budgets, RedisAdapter',
  g0: 'route awaiting a mock upstream (50 ms), no budget',
  g: 'route awaiting a mock upstream (50 ms), TokenBudgetGuard + @TokenBudget(), RedisAdapter',
  m: 'module imported, route unbudgeted',
  t: 'TierThrottlerGuard alone, MemoryAdapter (one key, 60 s window)',
  tr: 'TierThrottlerGuard alone, RedisAdapter (one key, 60 s window)',
};

export const USES_REDIS: Record<VariantId, boolean> = {
  a: false,
  a2: false,
  b: false,
  c: false,
  d: true,
  e: true,
  f: true,
  g0: false,
  g: true,
  m: false,
  t: false,
  tr: true,
};
export const USES_UPSTREAM: Record<VariantId, boolean> = {
  a: false,
  a2: false,
  b: false,
  c: false,
  d: false,
  e: false,
  f: false,
  g0: true,
  g: true,
  m: false,
  t: false,
  tr: false,
};
export const IMPORTS_MODULE: Record<VariantId, boolean> = {
  a: false,
  a2: false,
  b: false,
  c: true,
  d: true,
  e: true,
  f: true,
  g0: false,
  g: true,
  m: true,
  t: true,
  tr: true,
};
export const TIER_LIMITED: Record<VariantId, boolean> = {
  a: false,
  a2: false,
  b: false,
  c: false,
  d: false,
  e: true,
  f: false,
  g0: false,
  g: false,
  m: false,
  t: true,
  tr: true,
};
/** The budget scopes a variant's route counts (each must have counted every request). */
export const BUDGET_SCOPES: Record<VariantId, readonly ('user' | 'tenant' | 'global')[]> = {
  a: [],
  a2: [],
  b: [],
  c: ['user'],
  d: ['user'],
  e: ['user'],
  f: ['user', 'tenant', 'global'],
  g0: [],
  g: ['user'],
  m: [],
  t: [],
  tr: [],
};

export const BENCH_USER = 'bench-user';
export const BENCH_TENANT = 'bench-tenant';
/** Tokens the mock upstream reports per answer (`usage.total_tokens`); the budgeted route must commit them. */
export const UPSTREAM_TOKENS = { prompt: 12, completion: 5 } as const;
export const UPSTREAM_DELAY_MS = 50;

/** Each variant keeps its counters under its own prefix, so variants sharing a redis-server never meet. */
export function keyPrefix(variant: VariantId): string {
  return `bench-${variant}`;
}

/** Tokens each admitted request commits: the estimate (1) when the route returns no usage, else the upstream's usage. */
export function tokensPerRequest(variant: VariantId): number {
  return USES_UPSTREAM[variant] ? UPSTREAM_TOKENS.prompt + UPSTREAM_TOKENS.completion : 1;
}

export type Comparison =
  /** `subject` req/s ÷ `baseline` req/s must reach `target` (CPU: baseline µs ÷ subject µs, shown beside). */
  | { kind: 'ratio'; subject: VariantId; baseline: VariantId; target: number; what: string }
  /** `subject` p50 − `baseline` p50 must stay below `targetMs`. */
  | { kind: 'added-p50'; subject: VariantId; baseline: VariantId; targetMs: number; what: string };

const ALL_TARGETS: Comparison[] = [
  { kind: 'ratio', subject: 'c', baseline: 'a2', target: 0.95, what: 'budget on MemoryAdapter ≥ 0.95× no-op interceptor' },
  { kind: 'ratio', subject: 'd', baseline: 'a2', target: 0.8, what: 'budget on RedisAdapter ≥ 0.80× no-op interceptor' },
  { kind: 'ratio', subject: 'f', baseline: 'a2', target: 0.8, what: 'user + tenant + global on Redis ≥ 0.80× no-op interceptor' },
  { kind: 'ratio', subject: 'c', baseline: 'b', target: 1, what: 'budget on MemoryAdapter faster than ThrottlerGuard' },
  { kind: 'added-p50', subject: 'g', baseline: 'g0', targetMs: 1, what: 'budget adds < 1 ms p50 to a 50 ms upstream call' },
  { kind: 'ratio', subject: 'm', baseline: 'a', target: 0.98, what: 'module imported costs an unbudgeted route nothing (≥ 0.98× bare)' },
  { kind: 'ratio', subject: 't', baseline: 'a', target: 0.9, what: 'tier limiter on memory ≥ 0.9× bare' },
  { kind: 'ratio', subject: 't', baseline: 'b', target: 2, what: 'tier limiter on memory ≥ 2× ThrottlerGuard on its own storage' },
];

export const TARGETS: Comparison[] = ALL_TARGETS.filter((c) => VARIANT_IDS.includes(c.subject) && VARIANT_IDS.includes(c.baseline));

export function isVariantId(value: unknown): value is VariantId {
  return typeof value === 'string' && (ALL_VARIANT_IDS as readonly string[]).includes(value);
}

export function rotated<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
