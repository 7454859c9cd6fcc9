/**
 * The fast loop (`npm run test:unit`, `npm run test:watch`): unit specs beside the code in src/, the
 * shared fakes' own specs and the page's pure modules (test/web/). No chain, no server, no disk
 * beyond temporary directories; dependency-cruiser keeps these specs to their own ring plus test/fakes/.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/src', '<rootDir>/test/fakes', '<rootDir>/test/web'],
  testRegex: '.*\\.spec\\.ts$',
};
