/** Key of the sorted set that holds a counter's reservation leases (same hash tag as the counter). */
export function leaseKey(counterKey: string): string {
  return `${counterKey}:leases`;
}
