import { randomBytes } from 'node:crypto';
import { RecordOpener } from '../../../src/application/records/record-opener';
import { bytesToHex, utf8 } from '../../../src/domain/bytes';
import { ChainName } from '../../../src/domain/chain-name';
import { LedgerRecord } from '../../../src/domain/emr-record';
import { IntegrityCheckFailedError } from '../../../src/domain/errors';
import { KeyPair } from '../../../src/domain/ports/cipher.port';
import {
  encodeHeader,
  recordAad,
  recordSigningPayload,
  recordSigningPayloadFor,
} from '../../../src/domain/record-codec';
import { RecordId } from '../../../src/domain/record-id';
import { EcdsaP256RecordSigner } from '../../../src/infrastructure/crypto/ecdsa-p256.signer';
import { HpkeP256Cipher } from '../../../src/infrastructure/crypto/hpke-p256.cipher';
import { NodeHasher } from '../../../src/infrastructure/crypto/node-crypto.hasher';
import { loadWebCrypto, PatientKeyPairs, SealedUpload, WebCryptoModule } from './web-crypto-module';

const hasher = new NodeHasher();
const PATIENT_ID = 'patient-0042';
const FILE = new Uint8Array(5000).map((_, i) => (i * 13) % 251);

/** A ledger record as the service would store the patient's sealed upload for `chain`. */
function asLedgerRecord(upload: SealedUpload, patientKey: Uint8Array, chain: ChainName, signerPublicKey: Uint8Array) {
  const record: LedgerRecord = {
    recordId: RecordId.fromBytes(upload.recordId),
    patientKey,
    contentSha256: hasher.sha256(upload.content),
    sealedHeader: upload.sealedHeader,
    keyEnvelope: upload.keyEnvelope,
    signature: upload.signatures[chain],
    signerKeyId: hasher.sha256(signerPublicKey),
    chain,
    version: 1,
    contentLength: upload.content.length,
    contentLocation: [],
    createdAt: new Date('2026-01-01T00:00:00Z'),
    writer: '0x0',
    transactions: [],
    blockNumber: null,
  };
  return record;
}

describe('the web crypto module’s sealed records and the service', () => {
  let web: WebCryptoModule;
  const cipher = new HpkeP256Cipher();
  const serviceSigner = new EcdsaP256RecordSigner(EcdsaP256RecordSigner.generateSigningKeyPair());
  const opener = new RecordOpener(cipher, serviceSigner, hasher);
  let patient: PatientKeyPairs;
  let provider: KeyPair;
  const patientKey = Uint8Array.from(randomBytes(32));

  beforeAll(async () => {
    web = await loadWebCrypto();
    ({ keys: patient } = await web.createPatientKeys());
    provider = await cipher.generateKeyPair();
  });

  it('#13 payload v2 and v1 are byte for byte the service’s recordSigningPayload for the same fields', async () => {
    const recordId = Uint8Array.from(randomBytes(32));
    const fields = {
      patientKey,
      contentSha256: Uint8Array.from(randomBytes(32)),
      sealedHeader: Uint8Array.from(randomBytes(80)),
    };
    const v2 = (
      await cipher.seal([utf8('x')], [provider.publicKey], recordAad(patientKey, RecordId.fromBytes(recordId)))
    ).keyEnvelope;
    const v1 = Uint8Array.of(0x01, 1, ...randomBytes(145));
    for (const chain of ['supchain', 'medchain'] as const) {
      const ours = await web.recordSigningPayload({ chain, recordId, keyEnvelope: v2, ...fields });
      const theirs = recordSigningPayload({
        chain,
        recordId: RecordId.fromBytes(recordId),
        keyEnvelopeSha256: hasher.sha256(v2),
        ...fields,
      });
      expect(bytesToHex(ours)).toBe(bytesToHex(theirs));
      const record = { recordId: RecordId.fromBytes(recordId), keyEnvelope: v1, ...fields };
      expect(bytesToHex(await web.recordSigningPayload({ chain, recordId, keyEnvelope: v1, ...fields }))).toBe(
        bytesToHex(recordSigningPayloadFor(chain, record, (data) => hasher.sha256(data))),
      );
    }
    expect(bytesToHex(web.recordAad(patientKey, recordId))).toBe(
      bytesToHex(recordAad(patientKey, RecordId.fromBytes(recordId))),
    );
  });

  it('#13 the patient’s signatures (upload and registration proof) verify with verifyWithPublicKey; under another key they do not', async () => {
    const upload = await web.buildSealedUpload({
      bytes: FILE,
      fileName: 'x-ray.png',
      contentType: 'image/png',
      patientId: PATIENT_ID,
      patientKey,
      chains: ['supchain', 'medchain'],
      recipients: [patient.encryption.publicKey, provider.publicKey],
      signingKey: patient.signing.privateKey,
    });
    for (const chain of ['supchain', 'medchain'] as const) {
      const payload = recordSigningPayloadFor(
        chain,
        asLedgerRecord(upload, patientKey, chain, patient.signing.publicKey),
        (d) => hasher.sha256(d),
      );
      await expect(
        serviceSigner.verifyWithPublicKey(payload, upload.signatures[chain], patient.signing.publicKey),
      ).resolves.toBe(true);
      await expect(
        serviceSigner.verifyWithPublicKey(
          payload,
          upload.signatures[chain],
          EcdsaP256RecordSigner.generateSigningKeyPair().publicKey,
        ),
      ).resolves.toBe(false);
    }
    const proof = await web.registrationProof(
      patient.signing.privateKey,
      PATIENT_ID,
      patient.encryption.publicKey,
      patient.signing.publicKey,
    );
    const payload = web.registrationPayload(PATIENT_ID, patient.encryption.publicKey, patient.signing.publicKey);
    await expect(serviceSigner.verifyWithPublicKey(payload, proof, patient.signing.publicKey)).resolves.toBe(true);
  });

  it('#13 the service’s RecordOpener opens the patient’s upload for a provider, header exactly encodeHeader’s', async () => {
    const upload = await web.buildSealedUpload({
      bytes: FILE,
      fileName: 'x-ray.png',
      contentType: 'image/png',
      patientId: PATIENT_ID,
      patientKey,
      chains: ['medchain'],
      recipients: [patient.encryption.publicKey, provider.publicKey],
      signingKey: patient.signing.privateKey,
    });
    const record = asLedgerRecord(upload, patientKey, 'medchain', patient.signing.publicKey);
    const opened = await opener.openHeader('medchain', patientKey, record, provider, [patient.signing.publicKey]);
    expect(opened.header).toMatchObject({
      fileName: 'x-ray.png',
      contentType: 'image/png',
      size: FILE.length,
      uploader: PATIENT_ID,
    });
    expect(bytesToHex(opened.header.sha1!)).toBe(bytesToHex(hasher.sha1(FILE)));
    const headerBytes = await cipher.open(
      opened.dataKey,
      upload.sealedHeader,
      0,
      recordAad(patientKey, record.recordId),
    );
    expect(bytesToHex(headerBytes)).toBe(bytesToHex(encodeHeader(opened.header)));
    const plaintext = await opener.openContent(patientKey, record, opened, upload.content);
    expect(bytesToHex(plaintext)).toBe(bytesToHex(FILE));
    // Without the patient's signing key (rule (b)) the service does not accept the signature.
    await expect(opener.openHeader('medchain', patientKey, record, provider)).rejects.toThrow(
      IntegrityCheckFailedError,
    );
  });

  it('#13 the module opens a record the service sealed and signed (provider upload), through a service re-wrap', async () => {
    const recordId = RecordId.fromBytes(Uint8Array.from(randomBytes(32)));
    const aad = recordAad(patientKey, recordId);
    const header = { fileName: 'report.pdf', contentType: 'application/pdf', size: FILE.length, uploader: 'st-mary' };
    const sealed = await cipher.seal([encodeHeader(header), FILE], [provider.publicKey], aad);
    const [sealedHeader, content] = sealed.parts;
    const contentSha256 = hasher.sha256(content);
    const fields = { recordId, patientKey, contentSha256, sealedHeader, keyEnvelope: sealed.keyEnvelope };
    const signature = await serviceSigner.sign(recordSigningPayloadFor('supchain', fields, (d) => hasher.sha256(d)));
    const dataKey = await cipher.unwrap(sealed.keyEnvelope, provider, aad);
    const rewrap = await cipher.sealDataKey(dataKey, [patient.encryption.publicKey], aad);
    const answer = {
      recordId: recordId.hex,
      patientId: PATIENT_ID,
      patientKey: web.toHex0x(patientKey),
      chain: 'supchain',
      version: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      transactions: [],
      blockNumber: 1,
      contentSha256: web.toHex0x(contentSha256),
      contentLength: content.length,
      sealedHeader: web.toBase64(sealedHeader),
      keyEnvelope: web.toBase64(sealed.keyEnvelope),
      addedKeyEnvelopes: [web.toBase64(rewrap)],
      signature: web.toHex0x(signature),
      signer: {
        kind: 'service',
        keyId: web.toHex0x(serviceSigner.keyId()),
        publicKey: web.toHex0x(serviceSigner.trustedPublicKey(serviceSigner.keyId())!),
      },
      content: web.toBase64(content),
    };
    const opened = await web.openSealedRecord(answer, patient, {
      trustedServiceKeys: [serviceSigner.trustedPublicKey(serviceSigner.keyId())!],
    });
    expect(opened.header).toEqual(header);
    expect(bytesToHex(opened.bytes)).toBe(bytesToHex(FILE));
    await expect(web.openSealedRecord({ ...answer, addedKeyEnvelopes: [] }, patient)).rejects.toMatchObject({
      code: 'NO_SLOT',
    });
    await expect(web.openSealedRecord({ ...answer, chain: 'medchain' }, patient)).rejects.toMatchObject({
      code: 'BAD_SIGNATURE',
    });
  });
});
