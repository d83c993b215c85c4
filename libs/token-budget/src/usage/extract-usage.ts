/** The plain-result reading of every provider; the readers and their order are in `providers.ts`. */
export { readProviderUsage } from './providers';
