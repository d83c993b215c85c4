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
 * `<prefix>:budget:{<scope>:<id>}[:f:<feature>]:<period>`. The braces are a Redis Cluster hash
 * tag, so every key of one subject lands on one slot.
 */
export function subjectTag(prefix: string, scope: string, id: string): string {
  return `${prefix}:budget:{${scope}:${escapeId(id)}}`;
}
