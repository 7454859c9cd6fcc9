import { createHash } from 'node:crypto';
import request from 'supertest';
import type { App } from 'supertest/types';
import { Actor, createProvider, enrollPatient } from '../actors';
import { createTestApp, TestApp } from '../app';
import { makePdf, makePng } from '../files';
import { assertValidFhir } from './validate';

/**
 * What the FHIR e2e specs (test/e2e/fhir-*.e2e-spec.ts) share: the app on in-memory ledgers with its
 * providers and patients, an ITI-65 Bundle builder, and the OperationOutcome check. Each spec
 * builds its own app, so a file runs alone and in any order.
 */

/** A resource read back from JSON, walked field by field in the assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, asserted by shape
export type FhirJson = any;

export const FHIR = '/fhir/R4';
/** Small, so an oversize document is cheap to send. */
export const MAX_UPLOAD_BYTES = 256 * 1024;
/** The default BREAK_GLASS_PER_HOUR. */
export const BREAK_GLASS_PER_HOUR = 10;
export const FHIR_JSON = /^application\/fhir\+json/;
export const LEDGER = 'https://patient-centric-emr.example/fhir/StructureDefinition/ledger';

export const sha1 = (bytes: Buffer) => createHash('sha1').update(bytes).digest('base64');

export interface DocumentSpec {
  bytes: Buffer;
  contentType: string;
  title: string;
  /** Put the bytes in a Binary entry (default) or in attachment.data. */
  binary?: boolean;
  hash?: string;
  size?: number;
  patient?: string;
  type?: { system: string; code: string };
  masterIdentifier?: string;
}

/** An ITI-65 Provide Document Bundle: SubmissionSet, then each DocumentReference (and its Binary). */
export function provideBundle(patientId: string, documents: DocumentSpec[], extra: Record<string, unknown> = {}) {
  const entry: unknown[] = [
    {
      fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000001',
      resource: {
        resourceType: 'List',
        meta: { profile: ['https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Minimal.SubmissionSet'] },
        status: 'current',
        mode: 'working',
        code: {
          coding: [{ system: 'https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes', code: 'submissionset' }],
        },
        subject: { reference: `Patient/${patientId}` },
      },
      request: { method: 'POST', url: 'List' },
    },
  ];
  documents.forEach((document, index) => {
    const binaryUrl = `urn:uuid:00000000-0000-4000-8000-1000000000${String(index).padStart(2, '0')}`;
    const attachment: Record<string, unknown> = { contentType: document.contentType, title: document.title };
    if (document.binary === false) attachment.data = document.bytes.toString('base64');
    else attachment.url = binaryUrl;
    if (document.hash !== undefined) attachment.hash = document.hash;
    if (document.size !== undefined) attachment.size = document.size;
    entry.push({
      fullUrl: `urn:uuid:00000000-0000-4000-8000-2000000000${String(index).padStart(2, '0')}`,
      resource: {
        resourceType: 'DocumentReference',
        status: 'current',
        subject: { reference: `Patient/${document.patient ?? patientId}` },
        ...(document.type ? { type: { coding: [document.type] } } : {}),
        ...(document.masterIdentifier
          ? { masterIdentifier: { use: 'usual', system: 'urn:ietf:rfc:3986', value: document.masterIdentifier } }
          : {}),
        content: [{ attachment }],
      },
      request: { method: 'POST', url: 'DocumentReference' },
    });
    if (document.binary !== false) {
      entry.push({
        fullUrl: binaryUrl,
        resource: {
          resourceType: 'Binary',
          contentType: document.contentType,
          data: document.bytes.toString('base64'),
        },
        request: { method: 'POST', url: 'Binary' },
      });
    }
  });
  return { resourceType: 'Bundle', type: 'transaction', entry, ...extra };
}

export interface FhirApp {
  testApp: TestApp;
  server: App;
  provider: Actor;
  stranger: Actor;
  /** The patient P-FHIR-1. */
  patient: Actor;
  /** The patient P-FHIR-2. */
  other: Actor;
}

/** The app with two providers (dr-fhir, dr-stranger) and two patients (P-FHIR-1, P-FHIR-2) enrolled by dr-fhir. */
export async function startFhirApp(): Promise<FhirApp> {
  const testApp = await createTestApp({
    MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
    BREAK_GLASS_PER_HOUR: String(BREAK_GLASS_PER_HOUR),
  });
  const server = testApp.app.getHttpServer();
  const provider = await createProvider(server, testApp.adminToken, 'dr-fhir');
  const stranger = await createProvider(server, testApp.adminToken, 'dr-stranger');
  const patient = await enrollPatient(server, provider, 'P-FHIR-1');
  const other = await enrollPatient(server, provider, 'P-FHIR-2');
  return { testApp, server, provider, stranger, patient, other };
}

/** POST a FHIR JSON body to the server base (an ITI-65 transaction). */
export const postFhir = (server: App, actor: Actor, body: unknown, query = '') =>
  request(server)
    .post(`${FHIR}${query}`)
    .set(actor.auth)
    .set('Content-Type', 'application/fhir+json')
    .send(JSON.stringify(body));

/** The patient's records on both ledgers, as `reader` sees them through the REST API. */
export async function countRecords(server: App, patientId: string, reader: Actor): Promise<number> {
  let total = 0;
  for (const chain of ['supchain', 'medchain']) {
    const response = await request(server)
      .get(`/api/v1/patients/${patientId}/records`)
      .query({ chain, limit: 100 })
      .set(reader.auth)
      .expect(200);
    total += response.body.items.length;
  }
  return total;
}

export function expectOutcome(response: request.Response, status: number, expression?: string | RegExp) {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(FHIR_JSON);
  expect(response.body.resourceType).toBe('OperationOutcome');
  assertValidFhir(response.body);
  const [issue] = response.body.issue;
  expect(issue.severity).toBe('error');
  expect(typeof issue.diagnostics).toBe('string');
  if (expression !== undefined) expect(issue.expression?.[0]).toMatch(expression);
}

/** A supertest parser that keeps any body as raw bytes (ITI-68 answers). */
export function binary(response: request.Response, callback: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => callback(null, Buffer.concat(chunks)));
}

export const SAMPLE_PNG = makePng(24, 24, 11);
export const SAMPLE_PDF = makePdf();

export interface SampleDocuments {
  /** The patient P-FHIR-3. */
  patient: Actor;
  /** The DocumentReference ids (record ids without 0x) of SAMPLE_PNG and SAMPLE_PDF. */
  pngId: string;
  pdfId: string;
  /** Taken just before the upload. */
  uploadedAt: Date;
}

/**
 * P-FHIR-3, enrolled by dr-fhir, with two documents provided in one ITI-65 Bundle on medchain: SAMPLE_PNG
 * (Binary, LOINC 18748-4) and SAMPLE_PDF (attachment.data, masterIdentifier urn:oid:2.25.31415926).
 */
export async function provideSampleDocuments({ server, provider }: FhirApp): Promise<SampleDocuments> {
  const patient = await enrollPatient(server, provider, 'P-FHIR-3');
  const uploadedAt = new Date();
  const response = await postFhir(
    server,
    provider,
    provideBundle('P-FHIR-3', [
      {
        bytes: SAMPLE_PNG,
        contentType: 'image/png',
        title: 'chest.png',
        type: { system: 'http://loinc.org', code: '18748-4' },
      },
      {
        bytes: SAMPLE_PDF,
        contentType: 'application/pdf',
        title: 'letter.pdf',
        binary: false,
        masterIdentifier: 'urn:oid:2.25.31415926',
      },
    ]),
    '?chain=medchain',
  ).expect(200);
  return {
    patient,
    pngId: response.body.entry[1].response.location.split('/')[1],
    pdfId: response.body.entry[3].response.location.split('/')[1],
    uploadedAt,
  };
}
