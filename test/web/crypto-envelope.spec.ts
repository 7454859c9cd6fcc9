import {
  bytesToHex,
  DATA_KEY_HPKE_INFO,
  DATA_KEY_HPKE_INFO_V1,
  decodeKeyEnvelope,
  describeKeyEnvelope,
  encodeKeyEnvelope,
  generateDataKey,
  generateP256KeyPair,
  findKeyEnvelopeSlot,
  keyIdOf,
  open,
  openPart,
  seal,
  sealDataKey,
  sealPart,
  sealRecord,
  unwrapDataKey,
  unwrapFromEnvelopes,
  utf8,
} from '../../src/interfaces/web/public/crypto/index.js';

/** v1: version (1) | count (1) | n × [key id (32) | enc (65) | sealed data key (48)]. */
const V1_SLOT_BYTES = 145;
/** v2: version (1) | count (1) | n × [enc (65) | sealed data key (48)]. */
const V2_SLOT_BYTES = 113;
const aad = utf8('record-aad');

function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] ^= 0x01;
  return copy;
}

/** A v1 envelope as the service wrote them before issue 13 (the module no longer writes v1). */
async function sealV1(dataKey: Uint8Array, recipients: Uint8Array[], recordAad: Uint8Array): Promise<Uint8Array> {
  const slots = [];
  for (const publicKey of recipients) {
    const { enc, ciphertext } = await seal(publicKey, DATA_KEY_HPKE_INFO_V1, recordAad, dataKey);
    slots.push({ keyId: await keyIdOf(publicKey), enc, sealedDataKey: ciphertext });
  }
  return encodeKeyEnvelope(slots, 1);
}

describe('the web crypto module’s key envelope v2', () => {
  it('#13 seals a data key to each distinct recipient, one 113-byte slot each, no key id, info …/v2/data-key', async () => {
    const alice = await generateP256KeyPair('ECDH');
    const bob = await generateP256KeyPair('ECDH');
    const dataKey = generateDataKey();
    const envelope = await sealDataKey(dataKey, [alice.publicKey, bob.publicKey, alice.publicKey], aad);
    expect(envelope.length).toBe(2 + 2 * V2_SLOT_BYTES);
    expect([envelope[0], envelope[1]]).toEqual([0x02, 2]);
    expect(describeKeyEnvelope(envelope)).toEqual({ version: 2, slots: 2 });
    const slots = decodeKeyEnvelope(envelope);
    expect(slots.map((slot) => slot.keyId)).toEqual([null, null]);
    // Nothing in the envelope names a recipient: neither public key nor its SHA-256 appears.
    for (const publicKey of [alice.publicKey, bob.publicKey]) {
      expect(bytesToHex(envelope)).not.toContain(bytesToHex(publicKey).slice(2, 40));
      expect(bytesToHex(envelope)).not.toContain(bytesToHex(await keyIdOf(publicKey)).slice(0, 40));
    }
    expect(bytesToHex(encodeKeyEnvelope(slots))).toBe(bytesToHex(envelope));
    expect(new TextDecoder().decode(DATA_KEY_HPKE_INFO)).toBe('patient-centric-emr/v2/data-key');
    // Slot order is recipient order: bob's slot opens under HPKE with the v2 info, alice's does not for him.
    await expect(open(slots[1].enc, bob, DATA_KEY_HPKE_INFO, aad, slots[1].sealedDataKey)).resolves.toEqual(dataKey);
    await expect(open(slots[0].enc, bob, DATA_KEY_HPKE_INFO, aad, slots[0].sealedDataKey)).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
    expect(alice.privateKey.extractable).toBe(false);
    expect(bytesToHex(await unwrapDataKey(envelope, alice, aad))).toBe(bytesToHex(dataKey));
    expect(bytesToHex(await unwrapDataKey(envelope, bob, aad))).toBe(bytesToHex(dataKey));
  });

  it('#13 a stranger, a tampered slot or another aad all find no slot (NO_SLOT): trial decryption cannot tell them apart', async () => {
    const alice = await generateP256KeyPair('ECDH');
    const stranger = await generateP256KeyPair('ECDH');
    const envelope = await sealDataKey(generateDataKey(), [alice.publicKey], aad);
    await expect(unwrapDataKey(envelope, stranger, aad)).rejects.toMatchObject({ code: 'NO_SLOT' });
    const sealedStart = 2 + 65;
    for (const tampered of [
      flipped(envelope, sealedStart),
      flipped(envelope, envelope.length - 1),
      flipped(envelope, 2 + 64),
    ]) {
      await expect(unwrapDataKey(tampered, alice, aad)).rejects.toMatchObject({ code: 'NO_SLOT' });
    }
    await expect(unwrapDataKey(envelope, alice, utf8('another record'))).rejects.toMatchObject({ code: 'NO_SLOT' });
  });

  it('#13 refuses malformed envelopes: unknown version, no slots, a length that is not 2 + 113n', async () => {
    const alice = await generateP256KeyPair('ECDH');
    const envelope = await sealDataKey(generateDataKey(), [alice.publicKey], aad);
    const wrongVersion = envelope.slice();
    wrongVersion[0] = 0x03;
    const v1Length = envelope.slice();
    v1Length[0] = 0x01;
    const noSlots = Uint8Array.of(0x02, 0);
    for (const malformed of [
      wrongVersion,
      v1Length,
      noSlots,
      envelope.subarray(0, envelope.length - 1),
      new Uint8Array(0),
    ]) {
      expect(() => decodeKeyEnvelope(malformed)).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
      expect(() => describeKeyEnvelope(malformed)).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
      await expect(unwrapDataKey(malformed, alice, aad)).rejects.toMatchObject({ code: 'MALFORMED' });
    }
  });

  it('#13 refuses to seal to a key that is not a P-256 point, or a data key that is not 32 bytes', async () => {
    const alice = await generateP256KeyPair('ECDH');
    await expect(sealDataKey(generateDataKey(), [flipped(alice.publicKey, 64)], aad)).rejects.toMatchObject({
      code: 'INVALID_KEY',
    });
    await expect(sealDataKey(new Uint8Array(31), [alice.publicKey], aad)).rejects.toMatchObject({
      code: 'INVALID_KEY',
    });
    await expect(sealDataKey(generateDataKey(), [], aad)).rejects.toMatchObject({ code: 'MALFORMED' });
  });
});

describe('the web crypto module still reads key envelope v1', () => {
  it('#13 opens a v1 envelope by key id; a stranger gets NO_SLOT, a tampered slot DECRYPTION_FAILED', async () => {
    const alice = await generateP256KeyPair('ECDH');
    const bob = await generateP256KeyPair('ECDH');
    const stranger = await generateP256KeyPair('ECDH');
    const dataKey = generateDataKey();
    const envelope = await sealV1(dataKey, [alice.publicKey, bob.publicKey], aad);
    expect(envelope.length).toBe(2 + 2 * V1_SLOT_BYTES);
    expect(describeKeyEnvelope(envelope)).toEqual({ version: 1, slots: 2 });
    expect(bytesToHex(decodeKeyEnvelope(envelope)[1].keyId!)).toBe(bytesToHex(await keyIdOf(bob.publicKey)));
    expect(bytesToHex(await unwrapDataKey(envelope, bob, aad))).toBe(bytesToHex(dataKey));
    expect(await findKeyEnvelopeSlot(envelope, stranger.publicKey)).toBeNull();
    await expect(unwrapDataKey(envelope, stranger, aad)).rejects.toMatchObject({ code: 'NO_SLOT' });
    const sealedStart = 2 + 32 + 65;
    await expect(unwrapDataKey(flipped(envelope, sealedStart), alice, aad)).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
    await expect(unwrapDataKey(flipped(envelope, sealedStart - 1), alice, aad)).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
    await expect(unwrapDataKey(envelope, alice, utf8('another record'))).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
  });

  it('#13 findKeyEnvelopeSlot has no answer for a v2 envelope (it names nobody)', async () => {
    const alice = await generateP256KeyPair('ECDH');
    const envelope = await sealDataKey(generateDataKey(), [alice.publicKey], aad);
    await expect(findKeyEnvelopeSlot(envelope, alice.publicKey)).rejects.toMatchObject({ code: 'MALFORMED' });
  });
});

describe('unwrapFromEnvelopes (a record’s envelope and the ones added by re-wraps)', () => {
  it('#13 finds the key in an added envelope; skips malformed envelopes and foreign slots; null when none', async () => {
    const patient = await generateP256KeyPair('ECDH');
    const provider = await generateP256KeyPair('ECDH');
    const dataKey = generateDataKey();
    const own = await sealDataKey(dataKey, [provider.publicKey], aad);
    const added = await sealDataKey(dataKey, [patient.publicKey], aad);
    const found = await unwrapFromEnvelopes([own, Uint8Array.of(9, 9), added], patient, aad);
    expect(bytesToHex(found!)).toBe(bytesToHex(dataKey));
    await expect(unwrapFromEnvelopes([own, Uint8Array.of(9, 9)], patient, aad)).resolves.toBeNull();
    await expect(unwrapFromEnvelopes([], patient, aad)).resolves.toBeNull();
  });

  it('#13 a key that does not open the header counts as no key: the search goes on to the next envelope', async () => {
    const patient = await generateP256KeyPair('ECDH');
    const dataKey = generateDataKey();
    const sealedHeader = await sealPart(dataKey, utf8('{"header":true}'), 0, aad);
    // Anyone can seal to the patient's public key: an added envelope carrying a wrong key.
    const forged = await sealDataKey(generateDataKey(), [patient.publicKey], aad);
    const genuine = await sealDataKey(dataKey, [patient.publicKey], aad);
    const openHeader = (candidate: Uint8Array) => openPart(candidate, sealedHeader, 0, aad);
    expect(bytesToHex((await unwrapFromEnvelopes([forged, genuine], patient, aad, openHeader))!)).toBe(
      bytesToHex(dataKey),
    );
    await expect(unwrapFromEnvelopes([forged], patient, aad, openHeader)).resolves.toBeNull();
    // Without the check, the first key that authenticates wins, forged or not.
    expect(bytesToHex((await unwrapFromEnvelopes([forged, genuine], patient, aad))!)).not.toBe(bytesToHex(dataKey));
  });
});

describe('the web crypto module’s record content', () => {
  it('#13 opens each part under its own index; a swapped part, another aad or another key fails', async () => {
    const dataKey = generateDataKey();
    const parts = [utf8('header'), utf8('body')];
    const sealed = await Promise.all(parts.map((part, index) => sealPart(dataKey, part, index, aad)));
    expect(sealed[0].length).toBe(parts[0].length + 16);
    expect(new TextDecoder().decode(await openPart(dataKey, sealed[1], 1, aad))).toBe('body');
    await expect(openPart(dataKey, sealed[1], 0, aad)).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    await expect(openPart(dataKey, sealed[0], 0, utf8('x'))).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    await expect(openPart(generateDataKey(), sealed[0], 0, aad)).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
    await expect(openPart(dataKey, sealed[0], -1, aad)).rejects.toMatchObject({ code: 'MALFORMED' });
  });

  it('#13 sealRecord: the recipient unwraps the data key and opens every part', async () => {
    const patient = await generateP256KeyPair('ECDH');
    const parts = [utf8('{"type":"lab"}'), new Uint8Array(70_000).fill(7)];
    const record = await sealRecord(parts, [patient.publicKey], aad);
    const dataKey = await unwrapDataKey(record.keyEnvelope, patient, aad);
    for (const [index, part] of record.parts.entries()) {
      expect(bytesToHex(await openPart(dataKey, part, index, aad))).toBe(bytesToHex(parts[index]));
    }
  });
});
