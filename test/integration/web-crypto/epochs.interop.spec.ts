import { bytesToHex, concatBytes, lengthPrefixed, utf8 } from '../../../src/domain/bytes';
import { KeyPair } from '../../../src/domain/ports/cipher.port';
import { HpkeP256Cipher } from '../../../src/infrastructure/crypto/hpke-p256.cipher';
import { HpkePrimitives } from '../../../src/infrastructure/crypto/hpke.primitives';
import { NobleHpkePrimitives } from '../../../src/infrastructure/crypto/noble.primitives';
import { NodeCryptoHpkePrimitives } from '../../../src/infrastructure/crypto/node-crypto.primitives';
import { loadWebCrypto, P256KeyPair, WebCryptoModule } from './web-crypto-module';

const BACKENDS: HpkePrimitives[] = [new NodeCryptoHpkePrimitives(), new NobleHpkePrimitives()];
const PATIENT_KEY = new Uint8Array(32).fill(0x11);
const PARTS = [utf8('{"fileName":"lab.pdf"}'), new Uint8Array(20_000).map((_, i) => i % 253)];

/** The epoch aad written out from the spec with the service's own byte helpers. */
function specEpochAad(patientKey: Uint8Array, index: number): Uint8Array {
  const indexBytes = new Uint8Array(4);
  new DataView(indexBytes.buffer).setUint32(0, index, false);
  return concatBytes(
    lengthPrefixed(utf8('patient-centric-emr/epoch/v1')),
    lengthPrefixed(patientKey),
    lengthPrefixed(indexBytes),
  );
}

describe.each(BACKENDS)('epoch keys between the web crypto module and HpkeP256Cipher on $name', (primitives) => {
  let web: WebCryptoModule;
  const cipher = new HpkeP256Cipher(primitives);
  let patient: P256KeyPair;
  let provider: KeyPair;
  let uploader: KeyPair;
  let recordAad: Uint8Array;

  beforeAll(async () => {
    web = await loadWebCrypto();
    patient = await web.generateP256KeyPair('ECDH');
    provider = await cipher.generateKeyPair();
    uploader = await cipher.generateKeyPair();
    recordAad = web.recordAad(PATIENT_KEY, new Uint8Array(32).fill(0x44));
  });

  it('#14 the module’s epoch aad is the spec’s, byte for byte', () => {
    for (const index of [0, 1, 258, 0xffffffff]) {
      expect(bytesToHex(web.epochAad(PATIENT_KEY, index))).toBe(bytesToHex(specEpochAad(PATIENT_KEY, index)));
    }
  });

  it('#14 a slot made by createEpoch opens in tryUnwrap for its recipient under the epoch aad, and only there', async () => {
    const epoch = await web.createEpoch({
      patientKey: PATIENT_KEY,
      index: 2,
      recipientPublicKeys: [patient.publicKey, provider.publicKey],
      keepScalar: true,
    });
    const scalar = await cipher.tryUnwrap(epoch.slots, provider, specEpochAad(PATIENT_KEY, 2));
    expect(bytesToHex(scalar!.bytes)).toBe(bytesToHex(epoch.privateScalar!));
    await expect(cipher.tryUnwrap(epoch.slots, provider, specEpochAad(PATIENT_KEY, 3))).resolves.toBeNull();
    // An epoch slot is no record envelope: under a record's aad it opens nothing.
    await expect(cipher.tryUnwrap(epoch.slots, provider, recordAad)).resolves.toBeNull();
    await expect(cipher.tryUnwrap([epoch.slots[0]], provider, specEpochAad(PATIENT_KEY, 2))).resolves.toBeNull();
  });

  it('#14 the service, holding the scalar as a KeyPair, opens a record the module sealed to the epoch key', async () => {
    const epoch = await web.createEpoch({
      patientKey: PATIENT_KEY,
      index: 0,
      recipientPublicKeys: [provider.publicKey],
    });
    const scalar = await cipher.tryUnwrap(epoch.slots, provider, specEpochAad(PATIENT_KEY, 0));
    const epochKeyPair: KeyPair = { privateKey: scalar!.bytes, publicKey: epoch.publicKey };
    const record = await web.sealRecord(PARTS, [epoch.publicKey, patient.publicKey], recordAad);
    const dataKey = await cipher.unwrap(record.keyEnvelope, epochKeyPair, recordAad);
    for (const [index, part] of record.parts.entries()) {
      expect(bytesToHex(await cipher.open(dataKey, part, index, recordAad))).toBe(bytesToHex(PARTS[index]));
    }
  });

  it('#14 the module opens, through its epoch slot, a record HpkeP256Cipher sealed to the epoch key and the uploader', async () => {
    const epoch = await web.createEpoch({
      patientKey: PATIENT_KEY,
      index: 1,
      recipientPublicKeys: [patient.publicKey],
    });
    const record = await cipher.seal(PARTS, [epoch.publicKey, uploader.publicKey], recordAad);
    const keys = await web.resolveEpochKeys({
      epochs: [{ index: 1, publicKey: epoch.publicKey, slots: epoch.slots }],
      recipient: patient,
      patientKey: PATIENT_KEY,
    });
    const dataKey = await web.unwrapRecordWithEpochs([record.keyEnvelope], keys, recordAad);
    expect(bytesToHex(dataKey!)).toBe(bytesToHex((await cipher.unwrap(record.keyEnvelope, uploader, recordAad)).bytes));
    for (const [index, part] of record.parts.entries()) {
      expect(bytesToHex(await web.openPart(dataKey!, part, index, recordAad))).toBe(bytesToHex(PARTS[index]));
    }
  });

  it('#14 vice versa: a slot HpkeP256Cipher seals over an epoch scalar opens in openEpochSlot, and a grant slot the module seals opens in tryUnwrap', async () => {
    const epochKeyPair = await cipher.generateKeyPair();
    const aad = specEpochAad(PATIENT_KEY, 4);
    const slot = await cipher.sealDataKey({ bytes: epochKeyPair.privateKey }, [patient.publicKey], aad);
    const opened = await web.openEpochSlot({
      slot,
      recipient: patient,
      patientKey: PATIENT_KEY,
      index: 4,
      publicKey: epochKeyPair.publicKey,
    });
    expect(bytesToHex(opened.scalar)).toBe(bytesToHex(epochKeyPair.privateKey));
    expect(opened.privateKey.extractable).toBe(false);
    const record = await cipher.seal(PARTS, [epochKeyPair.publicKey, uploader.publicKey], recordAad);
    const dataKey = await web.unwrapRecordWithEpochs([record.keyEnvelope], [opened], recordAad);
    expect(bytesToHex(await web.openPart(dataKey!, record.parts[1], 1, recordAad))).toBe(bytesToHex(PARTS[1]));

    const grantSlot = await web.sealEpochSlot({
      scalar: opened.scalar,
      recipientPublicKey: provider.publicKey,
      patientKey: PATIENT_KEY,
      index: 4,
    });
    const providerScalar = await cipher.tryUnwrap([grantSlot], provider, aad);
    expect(bytesToHex(providerScalar!.bytes)).toBe(bytesToHex(epochKeyPair.privateKey));
    await expect(
      web.openEpochSlot({ slot, recipient: patient, patientKey: PATIENT_KEY, index: 4, publicKey: uploader.publicKey }),
    ).rejects.toMatchObject({ code: 'INTEGRITY' });
  });
});
