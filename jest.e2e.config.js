/** `npm run test:e2e`: the real AppModule (or the service in a child process), less the slow suites. */
const base = require('./jest.config');
const slow = require('./jest.slow.config');

const escape = (path) => path.replace('<rootDir>', '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/e2e'],
  testPathIgnorePatterns: [...base.testPathIgnorePatterns, ...slow.testMatch.map(escape)],
};
