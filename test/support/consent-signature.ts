/**
 * The patient's signing side of signed consent (node:crypto) lives with the shared fakes, in
 * test/fakes/consent-signature.ts, so the AccessLedger port suite may use it; the contract tests,
 * the e2e specs and the benchmarks keep importing it from here.
 */
export * from '../fakes/consent-signature';
