/**
 * The hexagon, checked mechanically: dependencies point inward.
 *   interfaces -> application -> domain <- infrastructure
 * src/app/ (the composition root) sits outside all of them and may import any.
 * Specs are checked with the code they sit beside, and test/ and bench/ are checked too: a unit
 * spec in src/ imports its own ring and test/fakes/ only, so `npm run test:unit` stays fast and a
 * spec cannot lean on an outer ring to pass.
 */
const SPEC = '\\.spec\\.ts$';
/** Any file of this repository (npm packages and node: built-ins are not ours to police here). */
const OURS = '^(src|test|bench|typechain-types)/';

module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain imports nothing outside itself: no framework, no I/O, no outer ring.',
      severity: 'error',
      from: { path: '^src/domain/', pathNot: SPEC },
      to: { pathNot: '^src/domain/' },
    },
    {
      name: 'domain-has-no-node-builtins',
      comment: 'Nothing in src/domain, specs included, imports a Node built-in (node:crypto, node:fs, …).',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'domain-specs-stay-in-the-domain',
      comment: 'A domain spec imports the domain and the shared fakes (test/fakes/), nothing else of ours.',
      severity: 'error',
      from: { path: `^src/domain/.*${SPEC}` },
      to: { path: OURS, pathNot: '^(src/domain|test/fakes)/' },
    },
    {
      name: 'application-only-domain',
      comment: 'Use cases (and their specs) depend on the domain and its ports only; specs may add test/fakes/.',
      severity: 'error',
      from: { path: '^src/application/' },
      to: { path: OURS, pathNot: '^(src/(domain|application)|test/fakes)/' },
    },
    {
      name: 'interfaces-never-infrastructure',
      comment: 'Controllers reach adapters only through ports bound by modules.',
      severity: 'error',
      from: { path: '^src/interfaces/' },
      to: { path: '^src/infrastructure/' },
    },
    {
      name: 'infrastructure-not-interfaces',
      comment: 'Adapters (and their specs) never depend on the HTTP layer or use cases.',
      severity: 'error',
      from: { path: '^src/infrastructure/' },
      to: { path: '^src/(interfaces|application)/' },
    },
    {
      name: 'src-specs-use-only-fakes',
      comment:
        'A unit spec beside the code may reach into test/ only for shared fakes (test/fakes/) and published ' +
        'known-answer vectors (test/vectors/, data only); anything wiring real adapters lives in test/integration/.',
      severity: 'error',
      from: { path: `^src/.*${SPEC}` },
      to: { path: '^(test|bench)/', pathNot: '^test/(fakes|vectors)/' },
    },
    {
      name: 'src-never-imports-tests',
      comment: 'Production code never depends on test/ or bench/.',
      severity: 'error',
      from: { path: '^src/', pathNot: SPEC },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'fakes-are-domain-only',
      comment: 'Fakes stand in for ports: they import the domain (and each other), so any unit spec may use them.',
      severity: 'error',
      from: { path: '^test/fakes/' },
      to: { path: OURS, pathNot: '^(src/domain|test/fakes)/' },
    },
    {
      name: 'port-suites-speak-domain',
      comment: 'A port suite tests the port, not an adapter: each adapter spec hands it the adapter.',
      severity: 'error',
      from: { path: '^test/ports/.*\\.port-suite\\.ts$' },
      to: { path: OURS, pathNot: '^(src/domain|test/fakes)/' },
    },
    {
      name: 'tests-never-import-bench',
      comment: 'bench/ may use test/support/; never the other way round.',
      severity: 'error',
      from: { path: '^test/' },
      to: { path: '^bench/' },
    },
    {
      name: 'bench-uses-test-support-only',
      comment: 'The benchmarks share the service launcher and helpers in test/support/ (and the fakes), not suites.',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^test/', pathNot: '^test/(support|fakes)/' },
    },
    {
      name: 'no-importing-specs',
      comment: 'A spec is run, never imported: shared helpers live in test/support/, test/fakes/ or a port suite.',
      severity: 'error',
      from: {},
      to: { path: '\\.(spec|e2e-spec|port-spec|browser-spec)\\.ts$' },
    },
    {
      name: 'composition-root-is-outermost',
      comment:
        'src/app/ wires everything; only the entry points (main.ts, repair.ts) import it. The rings reach a use case through its port or class, never through its wiring.',
      severity: 'error',
      from: { path: '^src/(domain|application|infrastructure|interfaces|config)/' },
      to: { path: '^src/app/' },
    },
    {
      name: 'web-crypto-stands-alone',
      comment:
        'The client-side crypto module runs unchanged in the page and in Node: it imports its own files only, ' +
        'no npm package, no node: built-in, nothing else of the page (it speaks globalThis.crypto.subtle).',
      severity: 'error',
      from: { path: '^src/interfaces/web/public/crypto/' },
      to: { pathNot: '^src/interfaces/web/public/crypto/' },
    },
    {
      name: 'service-never-runs-page-code',
      comment:
        'The service serves src/interfaces/web/public/ as static files and never imports them; tests in test/web ' +
        'and test/integration/web-crypto do, to prove the module interoperates with the service.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/interfaces/web/public/' },
      to: { path: '^src/interfaces/web/public/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
