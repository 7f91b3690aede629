/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: undefined,
  // fast-check: a fixed seed in CI, a random one locally (see the file).
  setupFilesAfterEnv: ['<rootDir>/test/helpers/propertySeed.ts'],
  testTimeout: 60000,
  // Azurite and the HTTPS fakes are started per test file on free loopback ports.
  maxWorkers: 2,
};
