/**
 * The hexagon, checked mechanically: dependencies point inward.
 *   interfaces -> application -> domain <- infrastructure
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain imports nothing outside itself: no framework, no I/O, no outer ring.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: '^src/domain/' },
    },
    {
      name: 'application-only-domain',
      comment: 'Use cases depend on the domain (and its ports) only.',
      severity: 'error',
      from: { path: '^src/application/' },
      to: { pathNot: '^src/(domain|application)/' },
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
      comment: 'Adapters never depend on the HTTP layer or use cases.',
      severity: 'error',
      from: { path: '^src/infrastructure/' },
      to: { path: '^src/(interfaces|application)/' },
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
    exclude: { path: '\\.spec\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
