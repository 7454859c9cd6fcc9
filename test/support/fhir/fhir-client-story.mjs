/**
 * The service and the helpers of the fhir-kit-client story (test/e2e/fhir-client.e2e.mjs): src/main.ts in
 * a child process on its embedded anvil chains, its actors, and small wrappers for fhir-kit-client, the
 * REST API, ITI-68 fetches and the ledgers' record counts. An ES module for the reason the story is
 * one (fhir-kit-client is ESM-only); the TypeScript helpers come in through ts-node's require hook.
 */
/* global fetch -- Node's built-in fetch (Node 18+); the lint config knows no Node globals for .mjs */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'fhir-kit-client';

const require = createRequire(import.meta.url);
const { ServiceProcess } = require('../service-process.ts');
const { makePdf, makePng } = require('../files.ts');
const { assertValidFhir } = require('./validate.ts');
const { countRecordsOnChain, embeddedRpcUrls } = require('./mhd.ts');

/** Small, so an oversize document stays small too. */
export const MAX_UPLOAD_BYTES = 256 * 1024;
const STARTUP_TIMEOUT_MS = 120_000;
const FHIR_JSON = 'application/fhir+json';
export const BREAK_GLASS_REASON = 'Unconscious patient in the emergency department';

const dataDir = mkdtempSync(join(tmpdir(), 'emr-fhir-client-'));
const adminToken = `test-admin-${randomBytes(24).toString('base64url')}`;
export const service = new ServiceProcess({
  LEDGER_BACKEND: 'embedded',
  DATA_DIR: dataDir,
  ADMIN_TOKEN: adminToken,
  MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
});

export const png = makePng(24, 24, 7);
export const pdf = makePdf();
export const patientId = 'P-FHIR-1';
const otherPatientId = 'P-FHIR-2';
/** Filled in by `startService`. */
export const actors = { clinic: '', hospital: '', patient: '', otherPatient: '' };
let fhirBase = '';
let rpcUrls;

export function client(token) {
  return new Client({ baseUrl: fhirBase, bearerToken: token, customHeaders: { Accept: FHIR_JSON } });
}

/** The OperationOutcome (and status) a failed fhir-kit-client call carried; validated on the way. */
export async function refusal(call) {
  try {
    const answer = await call();
    assert.fail(`expected an error, got ${JSON.stringify(answer).slice(0, 300)}`);
  } catch (error) {
    if (!error.response) throw error;
    const body = typeof error.response.data === 'string' ? JSON.parse(error.response.data) : error.response.data;
    assert.equal(body.resourceType, 'OperationOutcome');
    assertValidFhir(body);
    assertNoSecrets(JSON.stringify(body), 'an OperationOutcome');
    return { status: error.response.status, outcome: body };
  }
}

/** No token, patient id or break-glass reason in `text` (an error answer, the service's output). */
export function assertNoSecrets(text, where) {
  for (const [name, secret] of Object.entries({
    ...actors,
    adminToken,
    patientId,
    otherPatientId,
    BREAK_GLASS_REASON,
  })) {
    if (secret) assert.ok(!text.includes(secret), `${where} holds ${name}`);
  }
}

export async function recordCounts() {
  return {
    supchain: await countRecordsOnChain(rpcUrls.supchain),
    medchain: await countRecordsOnChain(rpcUrls.medchain),
  };
}

export async function rest(method, path, token, body) {
  const response = await fetch(`${service.baseUrl}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
  return response.status === 204 ? null : response.json();
}

export async function retrieve(url, token, headers = {}) {
  return fetch(url, { headers: { Authorization: `Bearer ${token}`, ...headers } });
}

/** Starts the service and enrols the story's actors: two providers, and two patients at the clinic. */
export async function startService() {
  await service.start(STARTUP_TIMEOUT_MS);
  fhirBase = `${service.baseUrl}/fhir/R4`;
  rpcUrls = embeddedRpcUrls(service.logs());
  const clinic = await rest('POST', '/providers', adminToken, { providerId: 'st-mary-radiology', name: 'St Mary' });
  const hospital = await rest('POST', '/providers', adminToken, { providerId: 'city-hospital', name: 'City Hospital' });
  actors.clinic = await claim(clinic.claimCode);
  actors.hospital = await claim(hospital.claimCode);
  actors.patient = await claim((await rest('POST', '/patients', actors.clinic, { patientId })).claimCode);
  actors.otherPatient = await claim(
    (await rest('POST', '/patients', actors.clinic, { patientId: otherPatientId })).claimCode,
  );
}

/** Exchanges a claim code (what enrolment answers) for its holder's token; the claim needs no token. */
async function claim(claimCode) {
  const response = await fetch(`${service.baseUrl}/api/v1/claims`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ claimCode }),
  });
  assert.equal(response.status, 201, `POST /claims: ${response.status}`);
  return (await response.json()).token;
}

export async function stopService() {
  await service.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
