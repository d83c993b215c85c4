/**
 * `nestjs-token-budget/testing`: the storage conformance kit. Runs the semantics every
 * `StorageAdapter` must keep (admission edge, strict and clamp, all counters or none, commit and
 * release, leases, rollover, overrides, credits, thresholds, rankings, exact money, concurrency)
 * against any adapter, in jest, vitest or any runner (assertions are `node:assert`).
 */
export { describeStorageAdapter, storageAdapterCases, capabilitiesOf } from './describe-storage-adapter';
export type { ConformanceCase, ConformanceRunner, StorageCapability, StorageConformanceOptions } from './conformance.types';
