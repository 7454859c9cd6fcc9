import { randomBytes } from 'node:crypto';
import { ChainName } from '../../../src/domain/chain-name';
import { Ledgers } from '../../../src/domain/ledgers';
import { Clock } from '../../../src/domain/ports/clock.port';
import {
  PendingReplica,
  PendingReplicaRef,
  ReplicatedRecordRef,
  ReplicationJournal,
} from '../../../src/domain/ports/replication-journal.port';
import { recordSigningPayloadFor } from '../../../src/domain/record-codec';
import { RecordId } from '../../../src/domain/record-id';
import { EcdsaP256RecordSigner } from '../../../src/infrastructure/crypto/ecdsa-p256.signer';
import { NodeHasher } from '../../../src/infrastructure/crypto/node-crypto.hasher';
import { InMemoryEmrRepository } from '../../../src/infrastructure/memory/in-memory-emr.repository';
import { RepairReplicasUseCase } from '../../../src/application/replication/repair-replicas.use-case';
import { ReplicaCopier } from '../../../src/application/replication/replica-copier';
import { ReplicationWorker } from '../../../src/application/replication/replication-worker';

class MemoryJournal extends ReplicationJournal {
  readonly owed = new Map<string, PendingReplica>();
  readonly both: ReplicatedRecordRef[] = [];

  async add(replica: PendingReplica): Promise<void> {
    this.owed.set(`${replica.chain}:${replica.record.recordId.hex}`, replica);
  }

  async pendingRefs(): Promise<PendingReplicaRef[]> {
    return [...this.owed.values()].map((replica) => ({ chain: replica.chain, recordId: replica.record.recordId }));
  }

  async load(ref: PendingReplicaRef): Promise<PendingReplica | null> {
    return this.owed.get(`${ref.chain}:${ref.recordId.hex}`) ?? null;
  }

  async pendingCounts(): Promise<Record<ChainName, number>> {
    const counts = { supchain: 0, medchain: 0 };
    for (const replica of this.owed.values()) counts[replica.chain] += 1;
    return counts;
  }

  async pendingChains(recordId: RecordId): Promise<ChainName[]> {
    return [...this.owed.values()].filter((r) => r.record.recordId.equals(recordId)).map((r) => r.chain);
  }

  async remove(chain: ChainName, recordId: RecordId): Promise<void> {
    this.owed.delete(`${chain}:${recordId.hex}`);
  }

  async noteReplicated(ref: ReplicatedRecordRef): Promise<void> {
    this.both.push(ref);
  }

  async replicated(): Promise<ReplicatedRecordRef[]> {
    return [...this.both];
  }
}

const clock: Clock = { now: () => new Date('2026-01-01T00:00:00Z') };

describe('RepairReplicasUseCase', () => {
  const hasher = new NodeHasher();
  const signer = new EcdsaP256RecordSigner(EcdsaP256RecordSigner.generateSigningKeyPair());
  let supchain: InMemoryEmrRepository;
  let medchain: InMemoryEmrRepository;
  let journal: MemoryJournal;
  let repair: RepairReplicasUseCase;

  /** A `both` record on each ledger: same id and ciphertext, signed per ledger. */
  async function replicatedRecord(): Promise<RecordId> {
    const recordId = RecordId.fromBytes(randomBytes(32));
    const patientKey = new Uint8Array(randomBytes(32));
    const content = new Uint8Array(randomBytes(4096));
    const contentSha256 = hasher.sha256(content);
    const sealedHeader = new Uint8Array(randomBytes(48));
    for (const repository of [supchain, medchain]) {
      const keyEnvelope = new Uint8Array(randomBytes(120));
      const fields = { patientKey, recordId, contentSha256, sealedHeader, keyEnvelope };
      const payload = recordSigningPayloadFor(repository.chain, fields, (data) => hasher.sha256(data));
      await repository.append({
        ...fields,
        content,
        signature: await signer.sign(payload),
        signerKeyId: signer.keyId(),
      });
    }
    await journal.noteReplicated({ patientKey, recordId });
    return recordId;
  }

  beforeEach(() => {
    supchain = new InMemoryEmrRepository('supchain', clock);
    medchain = new InMemoryEmrRepository('medchain', clock);
    journal = new MemoryJournal();
    const ledgers = new Ledgers([supchain, medchain]);
    repair = new RepairReplicasUseCase(
      ledgers,
      journal,
      new ReplicationWorker(ledgers, journal),
      new ReplicaCopier(ledgers, signer, journal, clock, hasher),
      signer,
      hasher,
    );
  });

  it('checks N complete records on metadata alone: no content is downloaded', async () => {
    const records = 6;
    for (let i = 0; i < records; i++) await replicatedRecord();
    const reads = [jest.spyOn(supchain, 'readContent'), jest.spyOn(medchain, 'readContent')];

    expect(await repair.execute()).toEqual({ checked: records, repaired: 0, unrecoverable: 0, unreachable: 0 });
    for (const read of reads) expect(read).not.toHaveBeenCalled();
  });

  it('downloads one verified copy only for the record a ledger lacks, and restores it', async () => {
    await replicatedRecord();
    const lost = await replicatedRecord();
    await replicatedRecord();
    medchain.simulateLoss(lost);
    const reads = [jest.spyOn(supchain, 'readContent'), jest.spyOn(medchain, 'readContent')];

    expect(await repair.execute()).toEqual({ checked: 3, repaired: 1, unrecoverable: 0, unreachable: 0 });
    expect(reads[0]).toHaveBeenCalledTimes(1);
    expect(reads[0].mock.calls[0][0].recordId.hex).toBe(lost.hex);
    expect(reads[1]).not.toHaveBeenCalled();
    const restored = journal.both.find((ref) => ref.recordId.equals(lost))!;
    expect(await medchain.findById(restored.patientKey, lost)).not.toBeNull();
  });

  it('does not download content for a copy the journal still owes', async () => {
    const owed = await replicatedRecord();
    const { patientKey } = journal.both.find((ref) => ref.recordId.equals(owed))!;
    const copy = (await supchain.findById(patientKey, owed))!;
    await journal.add({
      chain: 'medchain',
      record: { ...copy, content: await supchain.readContent(copy) },
      queuedAt: clock.now(),
    });
    medchain.simulateLoss(owed);
    jest.spyOn(medchain, 'append').mockRejectedValue(new Error('still catching up'));
    const read = jest.spyOn(supchain, 'readContent');

    expect(await repair.execute()).toMatchObject({ checked: 1, repaired: 0 });
    expect(read).not.toHaveBeenCalled();
  });
});
