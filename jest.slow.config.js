/**
 * `npm run test:slow`: the jest suites that take minutes (ledger faults against a service in a child
 * process, the embedded chains surviving a restart, a 10 MiB upload through real transactions).
 * `npm run test:e2e` leaves these out (jest.e2e.config.js reads this list); `npm test` runs them with
 * everything else (jest.config.js). The contract scale tests run under Hardhat (see package.json).
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/e2e'],
  testRegex: undefined,
  testMatch: [
    '<rootDir>/test/e2e/faults.e2e-spec.ts',
    '<rootDir>/test/e2e/embedded-restart.e2e-spec.ts',
    '<rootDir>/test/e2e/evm-large-upload.e2e-spec.ts',
  ],
};
