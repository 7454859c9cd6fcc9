import { randomBytes } from 'node:crypto';
import { NewLedgerRecord } from '../../src/domain/emr-record';
import { DuplicateRecordError } from '../../src/domain/errors';
import { EmrRepository } from '../../src/domain/ports/emr-repository.port';
import { RecordId } from '../../src/domain/record-id';

export interface PortSuiteFixture {
  repository: EmrRepository;
  teardown(): Promise<void>;
}

export function newRecord(patientKey: Uint8Array, contentBytes = 64): NewLedgerRecord {
  return {
    recordId: RecordId.fromBytes(randomBytes(32)),
    patientKey,
    content: randomBytes(contentBytes),
    contentSha256: randomBytes(32),
    sealedHeader: randomBytes(90),
    keyEnvelope: randomBytes(147),
    signature: randomBytes(64),
    signerKeyId: randomBytes(32),
  };
}

/**
 * Behaviour every EmrRepository adapter must show. Run it against each adapter:
 * in-memory on every run, EVM against a real local chain.
 */
export function describeEmrRepositoryPort(name: string, setup: () => Promise<PortSuiteFixture>): void {
  describe(`EmrRepository port: ${name}`, () => {
    let fixture: PortSuiteFixture;
    let repository: EmrRepository;

    beforeAll(async () => {
      fixture = await setup();
      repository = fixture.repository;
    });

    afterAll(async () => {
      await fixture?.teardown();
    });

    it('appends a record and reads every field back', async () => {
      const patient = randomBytes(32);
      const draft = newRecord(patient, 1000);
      const stored = await repository.append(draft);

      expect(stored.chain).toBe(repository.chain);
      expect(stored.version).toBe(1);
      expect(stored.recordId.hex).toBe(draft.recordId.hex);
      expect(stored.contentLength).toBe(1000);
      expect(stored.createdAt).toBeInstanceOf(Date);
      expect(Number.isNaN(stored.createdAt.getTime())).toBe(false);

      const found = await repository.findById(patient, draft.recordId);
      expect(found).not.toBeNull();
      expect(Buffer.from(found!.patientKey)).toEqual(Buffer.from(patient));
      expect(Buffer.from(found!.contentSha256)).toEqual(Buffer.from(draft.contentSha256));
      expect(Buffer.from(found!.sealedHeader)).toEqual(Buffer.from(draft.sealedHeader));
      expect(Buffer.from(found!.keyEnvelope)).toEqual(Buffer.from(draft.keyEnvelope));
      expect(Buffer.from(found!.signature)).toEqual(Buffer.from(draft.signature));
      expect(Buffer.from(found!.signerKeyId)).toEqual(Buffer.from(draft.signerKeyId));
      expect(found!.version).toBe(1);
      expect(found!.contentLength).toBe(1000);

      const content = await repository.readContent(found!);
      expect(Buffer.from(content)).toEqual(Buffer.from(draft.content));
    });

    it('keeps every version: history grows, nothing is overwritten', async () => {
      const patient = randomBytes(32);
      const drafts = [newRecord(patient, 10), newRecord(patient, 20), newRecord(patient, 30)];
      for (const draft of drafts) await repository.append(draft);

      const latest = await repository.latest(patient);
      expect(latest?.recordId.hex).toBe(drafts[2].recordId.hex);
      expect(latest?.version).toBe(3);

      for (const [index, draft] of drafts.entries()) {
        const found = await repository.findById(patient, draft.recordId);
        expect(found?.version).toBe(index + 1);
        expect(Buffer.from(await repository.readContent(found!))).toEqual(Buffer.from(draft.content));
      }
    });

    it('refuses a second append of the same record id and leaves the first intact', async () => {
      const patient = randomBytes(32);
      const draft = newRecord(patient, 16);
      await repository.append(draft);
      const impostor = { ...newRecord(patient, 16), recordId: draft.recordId };

      await expect(repository.append(impostor)).rejects.toThrow(DuplicateRecordError);

      const found = await repository.findById(patient, draft.recordId);
      expect(Buffer.from(await repository.readContent(found!))).toEqual(Buffer.from(draft.content));
      expect((await repository.latest(patient))?.version).toBe(1);
    });

    it('lists newest first and pages below a version', async () => {
      const patient = randomBytes(32);
      const drafts = [];
      for (let i = 0; i < 5; i++) drafts.push(newRecord(patient, 8));
      for (const draft of drafts) await repository.append(draft);

      const first = await repository.list(patient, { limit: 2 });
      expect(first.map((r) => r.version)).toEqual([5, 4]);
      expect(first[0].recordId.hex).toBe(drafts[4].recordId.hex);

      const second = await repository.list(patient, { limit: 2, beforeVersion: 4 });
      expect(second.map((r) => r.version)).toEqual([3, 2]);

      const last = await repository.list(patient, { limit: 2, beforeVersion: 2 });
      expect(last.map((r) => r.version)).toEqual([1]);

      const none = await repository.list(patient, { limit: 2, beforeVersion: 1 });
      expect(none).toEqual([]);

      const all = await repository.list(patient, { limit: 100 });
      expect(all.map((r) => r.version)).toEqual([5, 4, 3, 2, 1]);
    });

    it('keeps patients apart', async () => {
      const alice = randomBytes(32);
      const bob = randomBytes(32);
      const aliceRecord = newRecord(alice, 8);
      await repository.append(aliceRecord);

      expect(await repository.latest(bob)).toBeNull();
      expect(await repository.list(bob, { limit: 10 })).toEqual([]);
      expect(await repository.findById(bob, aliceRecord.recordId)).toBeNull();
    });

    it('answers null for an unknown record id', async () => {
      const patient = randomBytes(32);
      await repository.append(newRecord(patient, 8));
      expect(await repository.findById(patient, RecordId.fromBytes(randomBytes(32)))).toBeNull();
    });

    it('stores an empty content and a content of one byte', async () => {
      const patient = randomBytes(32);
      for (const size of [0, 1]) {
        const draft = newRecord(patient, size);
        const stored = await repository.append(draft);
        expect(stored.contentLength).toBe(size);
        expect(Buffer.from(await repository.readContent(stored))).toEqual(Buffer.from(draft.content));
      }
    });

    it('reports itself healthy', async () => {
      const health = await repository.health();
      expect(health.status).toBe('up');
      expect(typeof health.blockNumber).toBe('number');
    });
  });
}
