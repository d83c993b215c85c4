/** @type {import('jest').Config} */
const shared = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  // the compatibility apps and their installs (compat/, .compat/) are not part of this suite
  modulePathIgnorePatterns: ['<rootDir>/compat/', '<rootDir>/.compat/'],
  moduleNameMapper: {
    '^nestjs-token-budget$': '<rootDir>/libs/token-budget/src',
    '^nestjs-token-budget/testing$': '<rootDir>/libs/token-budget/src/testing',
  },
};

module.exports = {
  testTimeout: 60000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/src/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/setup/redis.global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/redis.global-teardown.ts',
    },
  ],
};
