/** Characters that could let one id address another subject's key (or break a Redis hash tag). */
const UNSAFE = /[%:{}*?[\]\\\s]/g;

/**
 * Escapes an id for use inside a storage key. Injective: `%` itself is escaped, so two different
 * ids never share a key.
 */
export function escapeId(id: string): string {
  return id.replace(UNSAFE, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * `<prefix>:budget:{<scope>:<id>}[:f:<feature>]:<period>`. The braces are a Redis Cluster hash
 * tag, so every key of one subject lands on one slot.
 */
export function subjectTag(prefix: string, scope: string, id: string): string {
  return `${prefix}:budget:{${scope}:${escapeId(id)}}`;
}
