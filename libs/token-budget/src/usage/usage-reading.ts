import { Usage } from './usage.interface';

/**
 * Outcome of reading token usage from a provider result:
 * - `usage`: the result carried valid counts;
 * - `none`: the result is not a shape the reader knows, or carries no counts;
 * - `malformed`: the result has the shape but a usage field is invalid (`reason` names it).
 */
export type UsageReading = { kind: 'usage'; usage: Usage } | { kind: 'none' } | { kind: 'malformed'; reason: string };
