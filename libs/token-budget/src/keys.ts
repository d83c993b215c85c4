/**
 * The key schema: every storage key the library writes is built here, and nowhere else. A leaf
 * module (it imports nothing), so any layer may build keys without an import cycle. Keys on the
 * wire are pinned byte for byte by `keys.spec.ts`: stored data must still be found after a change.
 *
 * | key                                                         | what it holds                                        |
 * |-------------------------------------------------------------|------------------------------------------------------|
 * | `<prefix>:budget:{<scope>:<id>}[:f:<feature>]:<period>[@<tz>]` | a counter hash ({@link counterKey})               |
 * | `<counter key>:leases`                                      | the counter's lease sorted set ({@link leaseKey})    |
 * | `<prefix>:budget:{<scope>:<id>}:limits`                     | the subject's limit overrides ({@link overrideKey})  |
 * | `<prefix>:rank:{<rule identity>}:<period>` and `…:cost`     | a rule's rankings of one period ({@link rankingKeys}) |
 * | `<prefix>:rate:{user:<id>}` / `<prefix>:rate:{ip:<address>}` | a tier rate window ({@link rateWindowKey})          |
 * | `<prefix>:throttle:{<throttler key>}`                       | a plain `ThrottlerGuard` window ({@link throttleKey}) |
 *
 * `<id>`, `<feature>`, the rule identity and the tracker's id or address are escaped
 * ({@link escapeId}); `<scope>`, `<period>` and `<tz>` come from validated options. The braces are
 * a Redis Cluster hash tag: the counters, leases and overrides of one subject share one slot, a
 * ranking and a rate window each have their own.
 *
 * Fields of a counter hash (written by the Lua scripts, see `storage/redis-scripts/`): `used`,
 * `reserved`, `limit`, `bonus`, `g` (tokens); `cused`, `creserved`, `climit`, `cg` (nano-dollars);
 * `n` (committed calls); per reservation `r:<id>` and `c:<id>` (its hold), `p:<id>` (a prepared
 * cross-slot commit), `k:<id>` (a committed id); `th:t:<fraction>` / `th:c:<fraction>` (thresholds
 * reported). Fields of an override hash: {@link overrideField} (`t:<rule identity>`, `c:<rule identity>`).
 */

/**
 * Characters that could let one id address another subject's key (or break a Redis hash tag), and
 * lone surrogates, which UTF-8 (what Redis stores) cannot carry: they would all become U+FFFD.
 */
const UNSAFE = /[%:{}*?[\]\\\s]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `%XX` for a character up to U+00FF, `%uXXXX` past it: every escape reads back one way only. */
function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  const hex = code.toString(16).toUpperCase();
  return code <= 0xff ? `%${hex.padStart(2, '0')}` : `%u${hex.padStart(4, '0')}`;
}

/**
 * Escapes an id for use inside a storage key. Injective: `%` itself is escaped, and an escape has
 * a fixed length for its range (`%3A`, `%u3000`), so two different ids never share a key.
 */
export function escapeId(id: string): string {
  return id.replace(UNSAFE, escapeChar);
}

/**
 * `<prefix>:budget:{<scope>:<id>}`, the start of every key of one subject. The braces are a Redis
 * Cluster hash tag, so every key of one subject lands on one slot.
 */
export function subjectTag(prefix: string, scope: string, id: string): string {
  return `${prefix}:budget:{${scope}:${escapeId(id)}}`;
}

/**
 * A counter of one subject, rule and period: `<subject tag>[:f:<feature>]:<period><zoneSuffix>`,
 * e.g. `tokenbudget:budget:{user:42}:2026-11`, `…{user:42}:f:summarize:2026-11-04@Europe/Paris`.
 * `zoneSuffix` is `@<timezone>` for a rule with its own `timezone`, else empty.
 */
export function counterKey(tag: string, periodKey: string, feature?: string, zoneSuffix = ''): string {
  return `${tag}${feature !== undefined ? `:f:${escapeId(feature)}` : ''}:${periodKey}${zoneSuffix}`;
}

/** The sorted set of a counter's reservation leases: `<counter key>:leases` (same hash tag as the counter). */
export function leaseKey(counterKey: string): string {
  return `${counterKey}:leases`;
}

/** The hash of one subject's `setLimit` overrides (every rule, no expiry): `<subject tag>:limits`. */
export function overrideKey(tag: string): string {
  return `${tag}:limits`;
}

/** The field of an override hash holding one rule's token (`t:<rule>`) or money (`c:<rule>`) limit. */
export function overrideField(dimension: 'tokens' | 'cost', rule: string): string {
  return `${dimension === 'tokens' ? 't' : 'c'}:${rule}`;
}

/**
 * Keys of the rankings (sorted sets of subject ids by committed tokens, and by committed money) of
 * one rule in one period: `<prefix>:rank:{<rule identity>}:<period>`, and `…:cost` beside it. Its
 * own hash tag: on a Cluster a ranking lives on one slot, apart from the counters.
 */
export function rankingKeys(prefix: string, rule: { readonly identity: string }, periodKey: string): { key: string; costKey: string } {
  const key = `${prefix}:rank:{${escapeId(rule.identity)}}:${periodKey}`;
  return { key, costKey: `${key}:cost` };
}

/** Who a tier rate window counts: `user:<id>`, or `ip:<address>` for an anonymous request. */
export function rateTracker(kind: 'user' | 'ip', id: string): string {
  return `${kind}:${escapeId(id)}`;
}

/** A tier rate window: `<prefix>:rate:{<tracker>}`, one per user across routes, on one Cluster slot. */
export function rateWindowKey(prefix: string, tracker: string): string {
  return `${prefix}:rate:{${tracker}}`;
}

/**
 * A window of a plain `ThrottlerGuard` using `TierThrottlerStorage`: `<prefix>:throttle:{<key>}`,
 * the throttler's own key (a hash it builds) as given.
 */
export function throttleKey(prefix: string, throttlerKey: string): string {
  return `${prefix}:throttle:{${throttlerKey}}`;
}
