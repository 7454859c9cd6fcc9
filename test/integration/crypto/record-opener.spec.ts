import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordOpener } from '../../../src/application/records/record-opener';
import { ReplicaCopier, ReplicaSource } from '../../../src/application/replication/replica-copier';
import { bytesToHex, utf8 } from '../../../src/domain/bytes';
import { LedgerRecord, NewLedgerRecord, RecordHeader } from '../../../src/domain/emr-record';
import { IntegrityCheckFailedError } from '../../../src/domain/errors';
import { Ledgers } from '../../../src/domain/ledgers';
import { DataKey, KeyPair } from '../../../src/domain/ports/cipher.port';
import { Clock } from '../../../src/domain/ports/clock.port';
import {
  encodeHeader,
  recordAad,
  recordSigningPayload,
  recordSigningPayloadFor,
} from '../../../src/domain/record-codec';
import { RecordId } from '../../../src/domain/record-id';
import { EcdsaP256RecordSigner } from '../../../src/infrastructure/crypto/ecdsa-p256.signer';
import { DATA_KEY_HPKE_INFO_V1, HpkeP256Cipher } from '../../../src/infrastructure/crypto/hpke-p256.cipher';
import { HpkeP256Suite } from '../../../src/infrastructure/crypto/hpke-p256.suite';
import { encodeKeyEnvelopeV1 } from '../../../src/infrastructure/crypto/key-envelope.codec';
import { NodeCryptoHpkePrimitives } from '../../../src/infrastructure/crypto/node-crypto.primitives';
import { NodeHasher } from '../../../src/infrastructure/crypto/node-crypto.hasher';
import { NodeRandomSource } from '../../../src/infrastructure/crypto/node-crypto.random';
import { FileReplicationJournal } from '../../../src/infrastructure/journal/file-replication.journal';
import { InMemoryEmrRepository } from '../../../src/infrastructure/memory/in-memory-emr.repository';

const clock: Clock = { now: () => new Date('2026-01-01T00:00:00Z') };
const HEADER: RecordHeader = { fileName: 'scan.png', contentType: 'image/png', size: 5, uploader: 'provider:dr-a' };
const FILE = utf8('bytes');

/**
 * Issue 13, service side: which records RecordOpener accepts (payload v1/v2 by envelope version, the
 * patient's own signing key) and where it finds the data key (the record's envelope, then added ones).
 */
describe('#13 RecordOpener and ReplicaCopier with envelope v2 and signature payload v2', () => {
  const cipher = new HpkeP256Cipher();
  const hasher = new NodeHasher();
  const sha256 = (data: Uint8Array) => hasher.sha256(data);
  const serviceKeys = EcdsaP256RecordSigner.generateSigningKeyPair();
  const signer = new EcdsaP256RecordSigner(serviceKeys);
  const opener = new RecordOpener(cipher, signer, hasher);
  let dir: string;
  let ledger: InMemoryEmrRepository;
  let copier: ReplicaCopier;
  let patient: KeyPair;
  let provider: KeyPair;
  let stranger: KeyPair;

  beforeAll(async () => {
    [patient, provider, stranger] = await Promise.all([
      cipher.generateKeyPair(),
      cipher.generateKeyPair(),
      cipher.generateKeyPair(),
    ]);
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'record-opener-'));
    ledger = new InMemoryEmrRepository('medchain', clock);
    copier = new ReplicaCopier(new Ledgers([ledger]), signer, new FileReplicationJournal(dir), clock, hasher);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A record sealed to `recipients` (v2 envelope, as seal writes), not yet signed. */
  async function sealedSource(recipients: Uint8Array[]): Promise<ReplicaSource> {
    const recordId = RecordId.fromBytes(randomBytes(32));
    const patientKey = new Uint8Array(randomBytes(32));
    const sealed = await cipher.seal([encodeHeader(HEADER), FILE], recipients, recordAad(patientKey, recordId));
    const [sealedHeader, content] = sealed.parts;
    return {
      recordId,
      patientKey,
      content,
      contentSha256: hasher.sha256(content),
      sealedHeader,
      keyEnvelope: sealed.keyEnvelope,
    };
  }

  /** The same record with a v1 envelope, built as releases before v2 sealed it. */
  async function withV1Envelope(source: ReplicaSource, dataKey: DataKey, recipients: KeyPair[]) {
    const suite = new HpkeP256Suite(new NodeCryptoHpkePrimitives(), new NodeRandomSource());
    const aad = recordAad(source.patientKey, source.recordId);
    const slots = recipients.map(({ publicKey }) => {
      const { enc, ciphertext } = suite.sealBase(publicKey, DATA_KEY_HPKE_INFO_V1, aad, dataKey.bytes);
      return { keyId: hasher.sha256(publicKey), enc, sealedDataKey: ciphertext };
    });
    return { ...source, keyEnvelope: encodeKeyEnvelopeV1(slots) };
  }

  async function dataKeyOf(source: ReplicaSource, keys: KeyPair): Promise<DataKey> {
    return cipher.unwrap(source.keyEnvelope, keys, recordAad(source.patientKey, source.recordId));
  }

  /** Signed by the patient's own signing key (as the browser does for sealed uploads). */
  function signedByPatient(source: ReplicaSource, patientSigner: EcdsaP256RecordSigner) {
    return async (): Promise<NewLedgerRecord> => ({
      ...source,
      signature: await patientSigner.sign(recordSigningPayloadFor('medchain', source, sha256)),
      signerKeyId: patientSigner.keyId(),
    });
  }

  const stored = (record: NewLedgerRecord): Promise<LedgerRecord> => ledger.append(record);
  const open = (record: LedgerRecord, keys: KeyPair, signingKey?: Uint8Array | null, added?: Uint8Array[]) =>
    opener.openHeader('medchain', record.patientKey, record, keys, signingKey ? [signingKey] : [], added);

  it('ReplicaCopier signs payload v2 for a v2 envelope, covering that envelope', async () => {
    const source = await sealedSource([patient.publicKey, provider.publicKey]);
    const copy = await copier.signFor('medchain', source);
    const v2 = recordSigningPayload({ chain: 'medchain', ...source, keyEnvelopeSha256: sha256(source.keyEnvelope) });
    const v1 = recordSigningPayload({ chain: 'medchain', ...source, keyEnvelopeSha256: null });
    await expect(signer.verify(v2, copy.signature, copy.signerKeyId)).resolves.toBe(true);
    await expect(signer.verify(v1, copy.signature, copy.signerKeyId)).resolves.toBe(false);
  });

  it('a service-signed v2 record opens for each recipient, header and content', async () => {
    const source = await sealedSource([patient.publicKey, provider.publicKey]);
    const record = await stored(await copier.signFor('medchain', source));
    for (const keys of [patient, provider]) {
      const opened = await open(record, keys);
      expect(opened.header).toEqual(HEADER);
      const bytes = await opener.openContent(record.patientKey, record, opened, source.content);
      expect(bytesToHex(bytes)).toBe(bytesToHex(FILE));
    }
    await expect(open(record, stranger)).rejects.toThrow(IntegrityCheckFailedError);
  });

  it('a changed envelope fails verification, even one that seals the same data key to the same readers', async () => {
    const source = await sealedSource([patient.publicKey, provider.publicKey]);
    const record = await stored(await copier.signFor('medchain', source));
    const dataKey = await dataKeyOf(source, patient);
    const aad = recordAad(source.patientKey, source.recordId);
    const swapped = { ...record, keyEnvelope: await cipher.sealDataKey(dataKey, [patient.publicKey], aad) };
    await expect(open(swapped, patient)).rejects.toThrow(
      new IntegrityCheckFailedError('The record signature does not verify.'),
    );
    await expect(open(record, patient)).resolves.toBeDefined();
  });

  it('a v1 record, signed with payload v1 as before, still opens; signed v2 it does not', async () => {
    const v2Source = await sealedSource([patient.publicKey]);
    const source = await withV1Envelope(v2Source, await dataKeyOf(v2Source, patient), [provider, patient]);
    expect(source.keyEnvelope[0]).toBe(0x01);
    const record = await stored(await copier.signFor('medchain', source));
    await expect(
      signer.verify(
        recordSigningPayload({ chain: 'medchain', ...source, keyEnvelopeSha256: null }),
        record.signature,
        record.signerKeyId,
      ),
    ).resolves.toBe(true);
    for (const keys of [patient, provider]) expect((await open(record, keys)).header).toEqual(HEADER);

    const signedV2 = await signer.sign(
      recordSigningPayload({ chain: 'medchain', ...source, keyEnvelopeSha256: sha256(source.keyEnvelope) }),
    );
    await expect(open({ ...record, signature: signedV2 }, patient)).rejects.toThrow(IntegrityCheckFailedError);
  });

  it("a patient-signed record verifies only with that patient's signing key given", async () => {
    const patientSigningKeys = EcdsaP256RecordSigner.generateSigningKeyPair();
    const patientSigner = new EcdsaP256RecordSigner(patientSigningKeys);
    const source = await sealedSource([patient.publicKey, provider.publicKey]);
    const record = await stored(await signedByPatient(source, patientSigner)());

    expect((await open(record, patient, patientSigningKeys.publicKey)).header).toEqual(HEADER);
    expect((await open(record, provider, patientSigningKeys.publicKey)).header).toEqual(HEADER);
    // Not a key the service trusts, so without the patient's key it does not verify.
    await expect(open(record, patient)).rejects.toThrow(IntegrityCheckFailedError);
    await expect(open(record, patient, null)).rejects.toThrow(IntegrityCheckFailedError);
    const otherPatientKey = EcdsaP256RecordSigner.generateSigningKeyPair().publicKey;
    await expect(open(record, patient, otherPatientKey)).rejects.toThrow(IntegrityCheckFailedError);
    // The signature is the patient's, but the record names another signer: refused.
    await expect(
      open({ ...record, signerKeyId: signer.keyId() }, patient, patientSigningKeys.publicKey),
    ).rejects.toThrow(IntegrityCheckFailedError);
    // A service-signed record still verifies when the patient's key is given too.
    const serviceSigned = await stored(await copier.signFor('medchain', await sealedSource([patient.publicKey])));
    await expect(open(serviceSigned, patient, patientSigningKeys.publicKey)).resolves.toBeDefined();
  });

  it('a patient-signed record whose content or envelope changed does not verify under the patient key', async () => {
    const patientSigningKeys = EcdsaP256RecordSigner.generateSigningKeyPair();
    const source = await sealedSource([patient.publicKey]);
    const record = await stored(await signedByPatient(source, new EcdsaP256RecordSigner(patientSigningKeys))());
    const otherEnvelope = (await sealedSource([patient.publicKey])).keyEnvelope;
    for (const changed of [
      { ...record, keyEnvelope: otherEnvelope },
      { ...record, contentSha256: hasher.sha256(utf8('other')) },
    ]) {
      await expect(open(changed, patient, patientSigningKeys.publicKey)).rejects.toThrow(IntegrityCheckFailedError);
    }
  });

  describe('added key envelopes (re-wraps)', () => {
    it("open a record for a reader who has no slot in the record's own envelope", async () => {
      const source = await sealedSource([provider.publicKey]);
      const record = await stored(await copier.signFor('medchain', source));
      const aad = recordAad(source.patientKey, source.recordId);
      const added = await cipher.sealDataKey(await dataKeyOf(source, provider), [patient.publicKey], aad);

      await expect(open(record, patient)).rejects.toThrow(IntegrityCheckFailedError);
      const opened = await open(record, patient, null, [added]);
      expect(opened.header).toEqual(HEADER);
      const bytes = await opener.openContent(record.patientKey, record, opened, source.content);
      expect(bytesToHex(bytes)).toBe(bytesToHex(FILE));
    });

    it('a key from a forged envelope does not open the header: it counts as no key, and the search goes on', async () => {
      const source = await sealedSource([provider.publicKey]);
      const record = await stored(await copier.signFor('medchain', source));
      const aad = recordAad(source.patientKey, source.recordId);
      const forged = await cipher.sealDataKey({ bytes: new Uint8Array(randomBytes(32)) }, [patient.publicKey], aad);
      const genuine = await cipher.sealDataKey(await dataKeyOf(source, provider), [patient.publicKey], aad);
      const malformed = new Uint8Array([0x02, 0x01, 0x00]);

      await expect(open(record, patient, null, [forged])).rejects.toThrow(IntegrityCheckFailedError);
      await expect(open(record, patient, null, [forged, malformed])).rejects.toThrow(IntegrityCheckFailedError);
      expect((await open(record, patient, null, [malformed, forged, genuine])).header).toEqual(HEADER);
    });

    it("are tried after the record's own envelope, which still serves its recipients", async () => {
      const source = await sealedSource([provider.publicKey]);
      const record = await stored(await copier.signFor('medchain', source));
      const aad = recordAad(source.patientKey, source.recordId);
      const forgedForProvider = await cipher.sealDataKey(
        { bytes: new Uint8Array(randomBytes(32)) },
        [provider.publicKey],
        aad,
      );
      expect((await open(record, provider, null, [forgedForProvider])).header).toEqual(HEADER);
    });
  });
});
