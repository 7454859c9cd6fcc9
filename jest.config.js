/** Unit specs next to the code, port suites and e2e suites under test/. */
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
