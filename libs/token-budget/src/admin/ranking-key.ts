/** Kept for imports of the old path; the key schema is `keys.ts`. */
export { rankingKeys } from '../keys';
