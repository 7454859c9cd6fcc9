import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainUnavailableError } from '../../../src/domain/errors';
import { Ledgers } from '../../../src/domain/ledgers';
import { Clock } from '../../../src/domain/ports/clock.port';
import { recordSigningPayloadFor } from '../../../src/domain/record-codec';
import { RecordId } from '../../../src/domain/record-id';
import { ReplicaCopier, ReplicaSource } from '../../../src/application/replication/replica-copier';
import { EcdsaP256RecordSigner } from '../../../src/infrastructure/crypto/ecdsa-p256.signer';
import { NodeHasher } from '../../../src/infrastructure/crypto/node-crypto.hasher';
import { FileReplicationJournal } from '../../../src/infrastructure/journal/file-replication.journal';
import { InMemoryEmrRepository } from '../../../src/infrastructure/memory/in-memory-emr.repository';

const clock: Clock = { now: () => new Date('2026-01-01T00:00:00Z') };

describe('ReplicaCopier', () => {
  const hasher = new NodeHasher();
  const signer = new EcdsaP256RecordSigner(EcdsaP256RecordSigner.generateSigningKeyPair());
  let dir: string;
  let medchain: InMemoryEmrRepository;
  let journal: FileReplicationJournal;
  let copier: ReplicaCopier;

  function source(): ReplicaSource {
    const content = new Uint8Array(randomBytes(256));
    return {
      recordId: RecordId.fromBytes(randomBytes(32)),
      patientKey: new Uint8Array(randomBytes(32)),
      content,
      contentSha256: hasher.sha256(content),
      sealedHeader: new Uint8Array(randomBytes(48)),
      keyEnvelope: new Uint8Array(randomBytes(120)),
    };
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'replica-copier-'));
    medchain = new InMemoryEmrRepository('medchain', clock);
    journal = new FileReplicationJournal(dir);
    copier = new ReplicaCopier(
      new Ledgers([new InMemoryEmrRepository('supchain', clock), medchain]),
      signer,
      journal,
      clock,
      hasher,
    );
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('signs a copy for the ledger it goes to, not for another', async () => {
    const copy = await copier.signFor('medchain', source());
    const payload = (chain: 'supchain' | 'medchain') =>
      recordSigningPayloadFor(chain, copy, (data) => hasher.sha256(data));

    expect(await signer.verify(payload('medchain'), copy.signature, copy.signerKeyId)).toBe(true);
    expect(await signer.verify(payload('supchain'), copy.signature, copy.signerKeyId)).toBe(false);
  });

  it('appends to a reachable ledger and journals nothing', async () => {
    const record = source();
    const written = await copier.copyOrJournal('medchain', record);

    expect(written?.recordId.equals(record.recordId)).toBe(true);
    expect(await medchain.findById(record.patientKey, record.recordId)).not.toBeNull();
    expect(await journal.pendingChains(record.recordId)).toEqual([]);
  });

  it('journals the signed copy when the ledger is down, and when it is known to be down without trying it', async () => {
    const down = source();
    medchain.setReachable(false);
    expect(await copier.copyOrJournal('medchain', down)).toBeNull();
    medchain.setReachable(true);
    const knownDown = source();
    const append = jest.spyOn(medchain, 'append');
    expect(await copier.copyOrJournal('medchain', knownDown, true)).toBeNull();

    expect(append).not.toHaveBeenCalled();
    for (const record of [down, knownDown]) {
      const owed = await journal.load({ chain: 'medchain', recordId: record.recordId });
      expect(owed?.record.contentSha256).toEqual(record.contentSha256);
    }
  });

  it('answers with the copy already on the ledger when the id is taken', async () => {
    const record = source();
    const first = await copier.copyOrJournal('medchain', record);
    const again = await copier.copyOrJournal('medchain', record);

    expect(again?.version).toBe(first?.version);
    expect(await journal.pendingChains(record.recordId)).toEqual([]);
  });

  it('copy: a copy already there is success; a ledger that is down fails the call', async () => {
    const record = source();
    await copier.copy('medchain', record);
    await expect(copier.copy('medchain', record)).resolves.toBeUndefined();

    medchain.setReachable(false);
    await expect(copier.copy('medchain', source())).rejects.toThrow(ChainUnavailableError);
  });
});
