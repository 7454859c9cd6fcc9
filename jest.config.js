/**
 * Every jest suite (`npm run test:jest`, part of `npm test`): unit specs beside the code, test/fakes and
 * test/web, test/integration, the port suites in test/ports and test/e2e. The narrower loops
 * (jest.unit/integration/e2e/slow.config.js) start from this one.
 */
module.exports = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec|port-spec)\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/contracts/', '<rootDir>/test/browser/'],
  // @noble/* v2 ship ESM only: let ts-jest turn them into CommonJS for jest.
  transform: { '^.+\\.(t|j)s$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  transformIgnorePatterns: ['/node_modules/(?!@noble/)'],
  testEnvironment: 'node',
  testTimeout: 60000,
};
