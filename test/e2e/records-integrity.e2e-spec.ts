import request from 'supertest';
import type { App } from 'supertest/types';
import { LedgerRecord } from '../../src/domain/emr-record';
import { Ledgers } from '../../src/domain/ledgers';
import { RecordId } from '../../src/domain/record-id';
import { InMemoryEmrRepository } from '../../src/infrastructure/memory/in-memory-emr.repository';
import { Actor } from '../support/actors';
import { TestApp } from '../support/app';
import { makePng } from '../support/files';
import { TestPatient } from '../support/patient-keys';
import {
  binary,
  expectProblemBuffer,
  recordsClient,
  recordsPath as records,
  startRecordsApp,
} from '../support/records-api';

/**
 * Tampered ledger data, then /health: the health check counts the bad copies these tamper tests
 * read, so the two stay in one suite, in this order.
 */
describe('Records over HTTP (in-memory ledgers)', () => {
  let testApp: TestApp;
  let server: App;
  let provider: Actor;
  const TAMPERED = [0, 1, 2, 3, 4, 5].map((n) => `P-TAMPER-${n}`);

  beforeAll(async () => {
    let patients: Map<string, Actor>;
    ({ testApp, server, provider, patients } = await startRecordsApp(['P-REPLAY', ...TAMPERED]));
    // The tampered patients hold keys (issue 13), so their records are sealed to [patient, uploader].
    for (const patientId of TAMPERED) await TestPatient.register(server, patients.get(patientId)!);
  });

  afterAll(async () => {
    await testApp.close();
  });

  const { get, upload } = recordsClient(() => ({ server, provider }));

  describe('integrity: tampered ledger data is refused with 422 and no bytes', () => {
    let repository: InMemoryEmrRepository;

    beforeAll(() => {
      repository = testApp.app.get(Ledgers).get('supchain') as InMemoryEmrRepository;
    });

    const tamperings: [
      string,
      (entry: { record: Record<string, unknown> & { [k: string]: unknown }; content: Uint8Array }) => void,
    ][] = [
      ['a byte of the stored ciphertext', (entry) => (entry.content[entry.content.length >> 1] ^= 0x01)],
      ['the stored ciphertext digest', (entry) => flip(entry.record.contentSha256 as Uint8Array)],
      ['a byte of the signature', (entry) => flip(entry.record.signature as Uint8Array)],
      // Slots are [patient, uploading provider (the reader here)], 113 bytes each after the 2-byte
      // head (v2: enc 65 ‖ sealed data key 48). Signature payload v2 covers the envelope, and the
      // signature is checked before access is decided by trial decryption, so a flip in either slot
      // is 422 — not a "not sealed to you" refusal.
      ['a byte of the wrapped key', (entry) => flipSealedKey(entry.record.keyEnvelope as Uint8Array, 0)],
      ["a byte of the reader's own slot", (entry) => flipSealedKey(entry.record.keyEnvelope as Uint8Array, 1)],
      ['a byte of the sealed header', (entry) => flip(entry.record.sealedHeader as Uint8Array)],
    ];

    it.each(tamperings.map((t, index) => [...t, index] as const))('flipping %s', async (_what, mutate, index) => {
      const patient = TAMPERED[index];
      const png = makePng(16, 16, 9);
      const created = await upload(patient, 'supchain', png).expect(201);
      repository.tamper(RecordId.parse(created.body.recordId), mutate as never);

      for (const path of [`${records(patient)}/latest`, `${records(patient)}/${created.body.recordId}`]) {
        const response = await get(path).query({ chain: 'supchain' }).buffer(true).parse(binary);
        expectProblemBuffer(response, 422, 'INTEGRITY_CHECK_FAILED');
        expect((response.body as Buffer).includes(png.subarray(16, 48))).toBe(false);
      }
    });

    it('refuses a record replayed onto the other ledger', async () => {
      const patient = 'P-REPLAY';
      const created = await upload(patient, 'supchain', makePng(4, 4)).expect(201);
      let copy: { record: LedgerRecord; content: Uint8Array } | undefined;
      repository.tamper(RecordId.parse(created.body.recordId), (entry) => {
        copy = { record: entry.record, content: Uint8Array.from(entry.content) };
      });
      const medchain = testApp.app.get(Ledgers).get('medchain');
      await medchain.append({ ...copy!.record, content: copy!.content });

      const response = await get(`${records(patient)}/latest?chain=medchain`)
        .buffer(true)
        .parse(binary);
      expectProblemBuffer(response, 422, 'INTEGRITY_CHECK_FAILED');
    });
  });

  describe('health and docs', () => {
    it('reports both ledgers, and the bad copies the tamper tests found', async () => {
      const response = await request(server).get('/health').expect(200);
      expect(Object.keys(response.body.chains).sort()).toEqual(['medchain', 'supchain']);
      expect(response.body.chains.supchain).toMatchObject({ status: 'up', pendingReplicas: 0 });
      // Every tamper test above read a bad copy from supchain; the replay test one from medchain.
      expect(response.body.chains.supchain.integrity.failures).toBeGreaterThanOrEqual(5);
      expect(response.body.chains.medchain.integrity.failures).toBeGreaterThanOrEqual(1);
      expect(response.body.status).toBe('degraded');
    });

    it('publishes the OpenAPI document generated from the code', async () => {
      const response = await request(server).get('/docs-json').expect(200);
      expect(response.body.openapi).toMatch(/^3\./);
      expect(Object.keys(response.body.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/patients/{patientId}/records',
          '/api/v1/patients/{patientId}/records/latest',
          '/api/v1/patients/{patientId}/records/{recordId}',
          '/api/v1/patients/{patientId}/records/{recordId}/metadata',
          '/health',
        ]),
      );
      await request(server).get('/docs').expect(200);
    });

    it('sends security headers', async () => {
      const response = await request(server).get('/health');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-powered-by']).toBeUndefined();
    });
  });
});

function flip(bytes: Uint8Array, index = 0): void {
  bytes[Math.min(index, bytes.length - 1)] ^= 0x01;
}

const ENVELOPE_HEAD_BYTES = 2;
const SLOT_BYTES = 113;
const ENC_BYTES = 65;

/** Flips a byte of slot `slot`'s sealed data key in a two-slot v2 envelope [patient, uploader]. */
function flipSealedKey(envelope: Uint8Array, slot: number): void {
  expect({ version: envelope[0], slots: envelope[1], length: envelope.length }).toEqual({
    version: 2,
    slots: 2,
    length: ENVELOPE_HEAD_BYTES + 2 * SLOT_BYTES,
  });
  envelope[ENVELOPE_HEAD_BYTES + slot * SLOT_BYTES + ENC_BYTES + 10] ^= 0x01;
}
