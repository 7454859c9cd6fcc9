import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { App } from 'supertest/types';
import { Ledgers } from '../../src/domain/ledgers';
import { InMemoryEmrRepository } from '../../src/infrastructure/memory/in-memory-emr.repository';
import { Actor, createProvider, enrollPatient } from './actors';
import { createTestApp, TestApp } from './app';

/** Shared by the redundancy e2e suites (redundancy-*.e2e-spec.ts): one patient, one provider, faults on demand. */

export const REDUNDANT_PATIENT_RECORDS = '/api/v1/patients/P-REDUNDANT-01/records';

export interface RedundancyApp {
  testApp: TestApp;
  server: App;
  /** 'redundant-clinic', who enrolled P-REDUNDANT-01. */
  provider: Actor;
  /** The in-memory ledgers, so a suite can take one down, tamper with it or make it lose a copy. */
  supchain: InMemoryEmrRepository;
  medchain: InMemoryEmrRepository;
}

export async function startRedundancyApp(): Promise<RedundancyApp> {
  const testApp = await createTestApp();
  const server = testApp.app.getHttpServer();
  const provider = await createProvider(server, testApp.adminToken, 'redundant-clinic');
  await enrollPatient(server, provider, 'P-REDUNDANT-01');
  const ledgers = testApp.app.get(Ledgers);
  return {
    testApp,
    server,
    provider,
    supchain: ledgers.get('supchain') as InMemoryEmrRepository,
    medchain: ledgers.get('medchain') as InMemoryEmrRepository,
  };
}

/** Uploads and reads as the provider; `current` is read at call time (the suite's beforeAll sets it). */
export function redundancyClient(current: () => Pick<RedundancyApp, 'server' | 'provider'>) {
  const records = REDUNDANT_PATIENT_RECORDS;
  const upload = (png: Buffer, chain = 'both', key?: string) => {
    const call = request(current().server).post(records).set(current().provider.auth);
    if (key) call.set('Idempotency-Key', key);
    return call.field('chain', chain).attach('file', png, 'scan.png');
  };
  const read = (chain: string, recordId = 'latest') =>
    request(current().server).get(`${records}/${recordId}`).query({ chain }).set(current().provider.auth).buffer(true);
  return { upload, read };
}

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
