import request from 'supertest';
import type { App } from 'supertest/types';
import { Actor, createProvider, enrollPatient } from './actors';
import { createTestApp, TestApp } from './app';

/** Shared by the records e2e suites (records-*.e2e-spec.ts): one app per suite, one uploading provider. */

export const PROBLEM_JSON = /^application\/problem\+json/;

export const recordsPath = (patientId: string) => `/api/v1/patients/${encodeURIComponent(patientId)}/records`;

export interface RecordsApp {
  testApp: TestApp;
  server: App;
  /** 'dr-records', who enrolled every patient of the suite and so may upload for them. */
  provider: Actor;
  /** The suite's patients, each having claimed its code (no keys registered). */
  patients: Map<string, Actor>;
}

/** The real AppModule on in-memory ledgers, with the provider and the suite's patients enrolled. */
export async function startRecordsApp(patientIds: readonly string[]): Promise<RecordsApp> {
  const testApp = await createTestApp();
  const server = testApp.app.getHttpServer();
  const provider = await createProvider(server, testApp.adminToken, 'dr-records');
  const patients = new Map<string, Actor>();
  for (const patientId of patientIds) patients.set(patientId, await enrollPatient(server, provider, patientId));
  return { testApp, server, provider, patients };
}

/**
 * Requests as the uploading provider, who may read what it uploaded. `current` is read at call
 * time: the suite's beforeAll sets the app after this is built.
 */
export function recordsClient(current: () => Pick<RecordsApp, 'server' | 'provider'>) {
  const get = (path: string) => request(current().server).get(path).set(current().provider.auth);

  function upload(patientId: string, chain: string, file: Buffer, fileName = 'scan.png', contentType?: string) {
    return request(current().server)
      .post(recordsPath(patientId))
      .set(current().provider.auth)
      .field('chain', chain)
      .attach('file', file, contentType ? { filename: fileName, contentType } : fileName);
  }

  async function count(patientId: string, chain: string): Promise<number> {
    const response = await get(recordsPath(patientId)).query({ chain, limit: 100 }).expect(200);
    return response.body.items.length;
  }

  return { get, upload, count };
}

export function expectProblem(response: request.Response, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
  expect(response.body).toMatchObject({ status, code });
  expect(typeof response.body.type).toBe('string');
  expect(typeof response.body.title).toBe('string');
  expect(typeof response.body.detail).toBe('string');
}

/** A problem read through `binary` (the body is a Buffer, not parsed JSON). */
export function expectProblemBuffer(response: request.Response, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
  expect(JSON.parse((response.body as Buffer).toString('utf8'))).toMatchObject({ status, code });
}

/** supertest parser that keeps the body as raw bytes, whatever the content type. */
export function binary(response: request.Response, callback: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => callback(null, Buffer.concat(chunks)));
}
