import {
  bytesToHex,
  createEpoch,
  describeKeyEnvelope,
  epochAad,
  generateP256KeyPair,
  openEpochSlot,
  recordAad,
  resolveEpochKeys,
  sealEpochSlot,
  sealRecord,
  unwrapRecordWithEpochs,
  utf8,
} from '../../src/interfaces/web/public/crypto/index.js';

const PATIENT_KEY = new Uint8Array(32).fill(0x11);
const OTHER_PATIENT_KEY = new Uint8Array(32).fill(0x12);
/** A v2 envelope with one slot: version (1) | count (1) | enc (65) | sealed 32-byte scalar (48). */
const EPOCH_SLOT_BYTES = 115;
const RECORD_AAD = recordAad(PATIENT_KEY, new Uint8Array(32).fill(0x44));

type KeyPair = Awaited<ReturnType<typeof generateP256KeyPair>>;

function hex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

describe('the web crypto module’s epoch keys', () => {
  let patient: KeyPair;
  let provider: KeyPair;

  beforeAll(async () => {
    patient = await generateP256KeyPair('ECDH');
    provider = await generateP256KeyPair('ECDH');
  });

  it('#14 epochAad = lp("patient-centric-emr/epoch/v1") | lp(patientKey) | lp(u32be(index)); index 0..2^32-1', () => {
    const domain = utf8('patient-centric-emr/epoch/v1');
    const expected = '0000001c' + hex(domain) + '00000020' + '11'.repeat(32) + '00000004' + '01020304';
    expect(domain.length).toBe(0x1c);
    expect(hex(epochAad(PATIENT_KEY, 0x01020304))).toBe(expected);
    expect(hex(epochAad(PATIENT_KEY, 0xffffffff)).endsWith('00000004ffffffff')).toBe(true);
    for (const index of [-1, 0x100000000, 1.5]) {
      expect(() => epochAad(PATIENT_KEY, index)).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    }
    expect(() => epochAad(PATIENT_KEY.subarray(1), 0)).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
  });

  it('#14 createEpoch: a public key and one 115-byte v2 slot per recipient in order, the scalar kept only on request', async () => {
    const epoch = await createEpoch({
      patientKey: PATIENT_KEY,
      index: 0,
      recipientPublicKeys: [patient.publicKey, provider.publicKey],
    });
    expect(epoch.publicKey).toHaveLength(65);
    expect(epoch).not.toHaveProperty('privateScalar');
    expect(epoch.slots.map((slot) => [slot.length, describeKeyEnvelope(slot)])).toEqual([
      [EPOCH_SLOT_BYTES, { version: 2, slots: 1 }],
      [EPOCH_SLOT_BYTES, { version: 2, slots: 1 }],
    ]);
    const opened = [];
    for (const [position, recipient] of [patient, provider].entries()) {
      const slot = epoch.slots[position];
      opened.push(
        await openEpochSlot({ slot, recipient, patientKey: PATIENT_KEY, index: 0, publicKey: epoch.publicKey }),
      );
    }
    expect(hex(opened[0].scalar)).toBe(hex(opened[1].scalar));
    expect(opened[0].privateKey.extractable).toBe(false);
    expect(opened[0].privateKey.algorithm).toMatchObject({ name: 'ECDH' });
    expect(opened[0]).toMatchObject({ index: 0, publicKey: epoch.publicKey });

    const kept = await createEpoch({
      patientKey: PATIENT_KEY,
      index: 1,
      recipientPublicKeys: [patient.publicKey],
      keepScalar: true,
    });
    const own = await openEpochSlot({
      slot: kept.slots[0],
      recipient: patient,
      patientKey: PATIENT_KEY,
      index: 1,
      publicKey: kept.publicKey,
    });
    expect(kept.privateScalar).toHaveLength(32);
    expect(hex(kept.privateScalar!)).toBe(hex(own.scalar));
  });

  it('#14 a slot opens only for its recipient, patient and epoch, and only to the epoch’s own key', async () => {
    const epoch = await createEpoch({ patientKey: PATIENT_KEY, index: 3, recipientPublicKeys: [patient.publicKey] });
    const other = await createEpoch({ patientKey: PATIENT_KEY, index: 3, recipientPublicKeys: [patient.publicKey] });
    const slot = epoch.slots[0];
    const base = { slot, recipient: patient, patientKey: PATIENT_KEY, index: 3, publicKey: epoch.publicKey };
    await expect(openEpochSlot(base)).resolves.toMatchObject({ index: 3 });
    await expect(openEpochSlot({ ...base, recipient: provider })).rejects.toMatchObject({ code: 'NO_SLOT' });
    await expect(openEpochSlot({ ...base, index: 4 })).rejects.toMatchObject({ code: 'NO_SLOT' });
    await expect(openEpochSlot({ ...base, patientKey: OTHER_PATIENT_KEY })).rejects.toMatchObject({
      code: 'NO_SLOT',
    });
    await expect(openEpochSlot({ ...base, publicKey: other.publicKey })).rejects.toMatchObject({ code: 'INTEGRITY' });
    const tampered = slot.slice();
    tampered[80] ^= 0x01;
    await expect(openEpochSlot({ ...base, slot: tampered })).rejects.toMatchObject({ code: 'NO_SLOT' });
    await expect(openEpochSlot({ ...base, slot: slot.subarray(1) })).rejects.toMatchObject({ code: 'MALFORMED' });
  });

  it('#14 createEpoch refuses no recipients, a repeated one and a key off the curve', async () => {
    const create = (recipientPublicKeys: Uint8Array[]) =>
      createEpoch({ patientKey: PATIENT_KEY, index: 0, recipientPublicKeys });
    await expect(create([])).rejects.toMatchObject({ code: 'MALFORMED' });
    await expect(create([patient.publicKey, provider.publicKey, patient.publicKey])).rejects.toMatchObject({
      code: 'MALFORMED',
    });
    const offCurve = patient.publicKey.slice();
    offCurve[64] ^= 0x01;
    await expect(create([patient.publicKey, offCurve])).rejects.toMatchObject({ code: 'INVALID_KEY' });
  });

  it('#14 a grant: the patient seals its epoch scalar to a provider, who then opens the epoch’s records', async () => {
    const epoch = await createEpoch({ patientKey: PATIENT_KEY, index: 0, recipientPublicKeys: [patient.publicKey] });
    const own = await openEpochSlot({
      slot: epoch.slots[0],
      recipient: patient,
      patientKey: PATIENT_KEY,
      index: 0,
      publicKey: epoch.publicKey,
    });
    const slot = await sealEpochSlot({
      scalar: own.scalar,
      recipientPublicKey: provider.publicKey,
      patientKey: PATIENT_KEY,
      index: 0,
    });
    expect(describeKeyEnvelope(slot)).toEqual({ version: 2, slots: 1 });
    const uploader = await generateP256KeyPair('ECDH');
    const record = await sealRecord([utf8('header')], [epoch.publicKey, uploader.publicKey], RECORD_AAD);
    const keys = await resolveEpochKeys({
      epochs: [{ index: 0, publicKey: epoch.publicKey, slots: [...epoch.slots, slot] }],
      recipient: provider,
      patientKey: PATIENT_KEY,
    });
    expect(keys.map((key) => key.index)).toEqual([0]);
    const dataKey = await unwrapRecordWithEpochs([record.keyEnvelope], keys, RECORD_AAD);
    expect(dataKey).toHaveLength(32);
    await expect(
      sealEpochSlot({
        scalar: own.scalar.subarray(1),
        recipientPublicKey: provider.publicKey,
        patientKey: PATIENT_KEY,
        index: 0,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_KEY' });
  });

  it('#14 a revoke: the revoked provider resolves the old epoch only and cannot open a record sealed to the new one', async () => {
    const epoch0 = await createEpoch({
      patientKey: PATIENT_KEY,
      index: 0,
      recipientPublicKeys: [patient.publicKey, provider.publicKey],
    });
    const epoch1 = await createEpoch({ patientKey: PATIENT_KEY, index: 1, recipientPublicKeys: [patient.publicKey] });
    const epochs = [
      { index: 0, publicKey: epoch0.publicKey, slots: epoch0.slots },
      { index: 1, publicKey: epoch1.publicKey, slots: epoch1.slots },
    ];
    const uploader = await generateP256KeyPair('ECDH');
    const before = await sealRecord([utf8('before')], [epoch0.publicKey, uploader.publicKey], RECORD_AAD);
    const after = await sealRecord([utf8('after')], [epoch1.publicKey, uploader.publicKey], RECORD_AAD);

    const providerKeys = await resolveEpochKeys({ epochs, recipient: provider, patientKey: PATIENT_KEY });
    const patientKeys = await resolveEpochKeys({ epochs, recipient: patient, patientKey: PATIENT_KEY });
    expect(providerKeys.map((key) => key.index)).toEqual([0]);
    expect(patientKeys.map((key) => key.index)).toEqual([1, 0]);
    await expect(unwrapRecordWithEpochs([before.keyEnvelope], providerKeys, RECORD_AAD)).resolves.toHaveLength(32);
    await expect(unwrapRecordWithEpochs([after.keyEnvelope], providerKeys, RECORD_AAD)).resolves.toBeNull();
    await expect(unwrapRecordWithEpochs([after.keyEnvelope], patientKeys, RECORD_AAD)).resolves.toHaveLength(32);
    // The record's aad binds the data key: the right epoch key with another record's aad opens nothing.
    const otherAad = recordAad(PATIENT_KEY, new Uint8Array(32).fill(0x45));
    await expect(unwrapRecordWithEpochs([after.keyEnvelope], patientKeys, otherAad)).resolves.toBeNull();
  });

  it('#14 unwrapRecordWithEpochs tries the newest epoch first, whatever order the keys come in', async () => {
    const epoch0 = await createEpoch({ patientKey: PATIENT_KEY, index: 0, recipientPublicKeys: [patient.publicKey] });
    const epoch5 = await createEpoch({ patientKey: PATIENT_KEY, index: 5, recipientPublicKeys: [patient.publicKey] });
    const keys = await resolveEpochKeys({
      epochs: [
        { index: 0, publicKey: epoch0.publicKey, slots: epoch0.slots },
        { index: 5, publicKey: epoch5.publicKey, slots: epoch5.slots },
      ],
      recipient: patient,
      patientKey: PATIENT_KEY,
    });
    // Two envelopes with different data keys, the old epoch's first: the newest epoch's key wins.
    const old = await sealRecord([utf8('x')], [epoch0.publicKey], RECORD_AAD);
    const current = await sealRecord([utf8('x')], [epoch5.publicKey], RECORD_AAD);
    const currentKey = await unwrapRecordWithEpochs([current.keyEnvelope], keys, RECORD_AAD);
    const oldKey = await unwrapRecordWithEpochs([old.keyEnvelope], keys, RECORD_AAD);
    expect(hex(currentKey!)).not.toBe(hex(oldKey!));
    for (const order of [keys, [...keys].reverse()]) {
      const dataKey = await unwrapRecordWithEpochs([old.keyEnvelope, current.keyEnvelope], order, RECORD_AAD);
      expect(hex(dataKey!)).toBe(hex(currentKey!));
    }
    // openHeader still decides: a key it refuses does not count, and the search goes on.
    const refusingCurrent = async (dataKey: Uint8Array) => {
      if (hex(dataKey) === hex(currentKey!)) throw new Error('not this record');
    };
    const fallback = await unwrapRecordWithEpochs(
      [old.keyEnvelope, current.keyEnvelope],
      keys,
      RECORD_AAD,
      refusingCurrent,
    );
    expect(hex(fallback!)).toBe(hex(oldKey!));
  });
});
