/**
 * `npm run test:integration`: use cases wired with real adapters (test/integration/) and the port
 * suites run against every adapter (test/ports/); the EVM ones start local anvil chains.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/integration', '<rootDir>/test/ports'],
};
