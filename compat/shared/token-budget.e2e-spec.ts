// The compatibility matrix's test, run by each app's own test runner (vitest on the Nest 12 app,
// jest on the Nest 11 app) against nestjs-token-budget installed from its packed tarball.
import { capabilitiesOf, describeStorageAdapter, storageAdapterCases } from 'nestjs-token-budget/testing';
import { cases, runScenario, validateConfig } from '../src/compat/scenario.js';

describe(`nestjs-token-budget installed from its tarball, Node ${process.version}`, () => {
  it('runs on the Node this cell is for', () => {
    const wanted = process.env.COMPAT_NODE_MAJOR; // a major (24) or an exact version (20.19.0)
    const running = wanted?.includes('.') ? process.versions.node : process.versions.node.split('.')[0];
    expect(wanted ? running : 'unset').toBe(wanted ?? 'unset');
  });

  it('loads the nestjs-token-budget/testing entry through the package exports', () => {
    const loaded = [typeof describeStorageAdapter, typeof storageAdapterCases, typeof capabilitiesOf];
    expect(loaded).toEqual(['function', 'function', 'function']);
  });

  it.each(cases())(
    '%s, %s storage: estimate, provider usage, stream, 429, tier guard, getUsage',
    async (platform, storage) => {
      await runScenario(platform, storage);
    },
    60_000,
  );

  it('npx token-budget validate-config checks the app’s config file', () => {
    expect(validateConfig('src/compat/token-budget.yaml')).toContain('src/compat/token-budget.yaml: valid');
  }, 60_000);
});
