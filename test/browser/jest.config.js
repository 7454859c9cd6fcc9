/* global module */
/**
 * Browser suite: real server + system Chromium via playwright-core. Run it with
 * `npm run test:browser`; the main `npm test` ignores test/browser/.
 */
module.exports = {
  rootDir: '../..',
  roots: ['<rootDir>/test/browser'],
  testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/browser/tsconfig.json' }] },
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/browser/global-setup.js',
  testTimeout: 120000,
  maxWorkers: 1,
};
