import assert from 'node:assert/strict';
import type { StorageAdapter } from '../storage/storage-adapter.interface';
import { ADMISSION_CASES } from './admission.cases';
import { CLOCK_RATE_CASES } from './clock-rate.cases';
import { CONCURRENCY_CASES } from './concurrency.cases';
import { CaseDefinition, ConformanceContext } from './conformance-context';
import { ALL_CAPABILITIES, METHOD_CAPABILITIES } from './conformance.types';
import type { ConformanceCase, ConformanceRunner, StorageCapability, StorageConformanceOptions } from './conformance.types';
import { MONEY_RANKING_CASES } from './money-rankings.cases';
import { PERIOD_CASES } from './periods.cases';
import { SETTLEMENT_CASES } from './settlement.cases';

const ALL_CASES: readonly CaseDefinition[] = [
  ...ADMISSION_CASES,
  ...SETTLEMENT_CASES,
  ...PERIOD_CASES,
  ...MONEY_RANKING_CASES,
  ...CONCURRENCY_CASES,
  ...CLOCK_RATE_CASES,
];

/** The optional methods an adapter has (found by name, so a wrapper or a Proxy keeps them). */
export function capabilitiesOf(adapter: StorageAdapter): StorageCapability[] {
  return METHOD_CAPABILITIES.filter((name) => typeof (adapter as unknown as Record<string, unknown>)[name] === 'function');
}

/**
 * The conformance cases for an adapter with the given capabilities, as a plain list: each `run()`
 * creates an adapter, runs the case and disposes of the adapter, and throws (an `AssertionError`)
 * when the adapter breaks the case. Cases of capabilities not listed are not in the list.
 */
export function storageAdapterCases<A extends StorageAdapter>(
  options: StorageConformanceOptions<A>,
  capabilities: readonly StorageCapability[],
): ConformanceCase[] {
  const has = new Set(capabilities);
  const cases: ConformanceCase[] = [];
  const declared = capabilities.filter((c) => METHOD_CAPABILITIES.includes(c));
  if (options.capabilities && declared.length) {
    cases.push({
      name: `has the optional methods it is tested for (${declared.join(', ')})`,
      needs: [],
      run: () =>
        withAdapter(options, async (adapter) => {
          const missing = declared.filter((c) => !capabilitiesOf(adapter).includes(c));
          assert.deepEqual(missing, [], `the adapter has no ${missing.join(', ')}`);
        }),
    });
  }
  for (const definition of ALL_CASES) {
    const needs = definition.needs ?? [];
    if (!needs.every((c) => has.has(c))) continue;
    cases.push({
      name: definition.name,
      needs,
      run: () =>
        withAdapter(options, (adapter) => {
          return definition.run(new ConformanceContext(adapter, options.keyPrefix ?? 'tb-conformance', clockOf(options, adapter)));
        }),
    });
  }
  return cases;
}

/**
 * Registers the storage conformance suite for an adapter: one `describe` whose title names the
 * capabilities tested and those not, with one `it` per case. Runner functions are taken from
 * `runner`, else from the globals (`describe`, `it`: jest, and vitest with `globals: true`).
 *
 * @example
 * describeStorageAdapter('MyStoreAdapter', { create: () => new MyStoreAdapter(url), destroy: (a) => a.close() });
 */
export function describeStorageAdapter<A extends StorageAdapter>(
  name: string,
  options: StorageConformanceOptions<A>,
  runner?: Partial<ConformanceRunner>,
): void {
  const { describe, it } = runnerOf(runner);
  const capabilities = options.capabilities ?? probeCapabilities(options);
  const untested = ALL_CAPABILITIES.filter((c) => !capabilities.includes(c));
  const without = untested.length ? `; without ${untested.join(', ')}` : '';
  const title = `StorageAdapter conformance: ${name} (with ${capabilities.join(', ') || 'no optional capability'}${without})`;
  describe(title, () => {
    for (const testCase of storageAdapterCases(options, capabilities)) it(testCase.name, testCase.run, options.timeoutMs ?? 30_000);
  });
}

function runnerOf(runner: Partial<ConformanceRunner> | undefined): ConformanceRunner {
  const globals = globalThis as unknown as Partial<ConformanceRunner>;
  const describe = runner?.describe ?? globals.describe;
  const it = runner?.it ?? globals.it;
  if (typeof describe !== 'function' || typeof it !== 'function') {
    throw new TypeError(
      'describeStorageAdapter needs describe and it: run it under jest, or vitest with globals: true, ' +
        'or pass them (describeStorageAdapter(name, options, { describe, it })).',
    );
  }
  return { describe: describe.bind(globalThis), it: it.bind(globalThis) };
}

/** Finds the capabilities on one adapter made now (create() must answer synchronously), then disposes of it. */
function probeCapabilities<A extends StorageAdapter>(options: StorageConformanceOptions<A>): StorageCapability[] {
  const made = options.create();
  if (typeof (made as { then?: unknown }).then === 'function') {
    void (made as Promise<A>).then((adapter) => options.destroy?.(adapter)).catch(() => undefined);
    throw new TypeError("create() answered a Promise: pass capabilities (e.g. ['renew', 'list']), so the kit knows what to register.");
  }
  const adapter = made as A;
  const found = capabilitiesOf(adapter);
  void Promise.resolve(options.destroy?.(adapter)).catch(() => undefined);
  return found;
}

function clockOf<A extends StorageAdapter>(options: StorageConformanceOptions<A>, adapter: A): (() => number) | undefined {
  if (options.clock) return options.clock;
  return typeof adapter.now === 'function' ? () => (adapter.now as () => number).call(adapter) : undefined;
}

async function withAdapter<A extends StorageAdapter>(options: StorageConformanceOptions<A>, run: (adapter: A) => Promise<void>) {
  const adapter = await options.create();
  try {
    await run(adapter);
  } finally {
    await options.destroy?.(adapter);
  }
}
