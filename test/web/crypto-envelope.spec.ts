import {
  bytesToHex,
  decodeKeyEnvelope,
  encodeKeyEnvelope,
  generateDataKey,
  generateP256KeyPair,
  keyIdOf,
  openPart,
  sealDataKey,
  sealPart,
  sealRecord,
  unwrapDataKey,
  utf8,
} from '../../src/interfaces/web/public/crypto/index.js';

/** Version (1) | count (1) | n × [key id (32) | enc (65) | sealed data key (48)]. */
const SLOT_BYTES = 145;
const aad = utf8('record-aad');

function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] ^= 0x01;
  return copy;
}

describe('the web crypto module’s key envelope v1', () => {
  it('#13 seals a data key to each distinct recipient, one 145-byte slot each, key id = SHA-256(public key)', async () => {
    const alice = await generateP256KeyPair('ECDH');
    const bob = await generateP256KeyPair('ECDH');
    const dataKey = generateDataKey();
    const envelope = await sealDataKey(dataKey, [alice.publicKey, bob.publicKey, alice.publicKey], aad);
    expect(envelope.length).toBe(2 + 2 * SLOT_BYTES);
    expect([envelope[0], envelope[1]]).toEqual([0x01, 2]);
    const slots = decodeKeyEnvelope(envelope);
    expect(slots.map((slot) => bytesToHex(slot.keyId))).toEqual([
      bytesToHex(await keyIdOf(alice.publicKey)),
      bytesToHex(await keyIdOf(bob.publicKey)),
    ]);
    expect(bytesToHex(encodeKeyEnvelope(slots))).toBe(bytesToHex(envelope));
    // Non-extractable private keys, as the page will keep them.
    expect(alice.privateKey.extractable).toBe(false);
    expect(bytesToHex(await unwrapDataKey(envelope, alice, aad))).toBe(bytesToHex(dataKey));
    expect(bytesToHex(await unwrapDataKey(envelope, bob, aad))).toBe(bytesToHex(dataKey));
  });

  it('#13 refuses a recipient without a slot (NO_SLOT) and a tampered slot or aad (DECRYPTION_FAILED)', async () => {
    const alice = await generateP256KeyPair('ECDH');
    const stranger = await generateP256KeyPair('ECDH');
    const envelope = await sealDataKey(generateDataKey(), [alice.publicKey], aad);
    await expect(unwrapDataKey(envelope, stranger, aad)).rejects.toMatchObject({ code: 'NO_SLOT' });
    const encStart = 2 + 32;
    const sealedStart = encStart + 65;
    for (const tampered of [flipped(envelope, sealedStart), flipped(envelope, envelope.length - 1)]) {
      await expect(unwrapDataKey(tampered, alice, aad)).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    }
    // An enc that is no longer a point on the curve is a tampered slot too.
    await expect(unwrapDataKey(flipped(envelope, sealedStart - 1), alice, aad)).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
    await expect(unwrapDataKey(envelope, alice, utf8('another record'))).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
  });

  it('#13 refuses malformed envelopes: wrong version, no slots, a length that is not 2 + 145n', async () => {
    const alice = await generateP256KeyPair('ECDH');
    const envelope = await sealDataKey(generateDataKey(), [alice.publicKey], aad);
    const wrongVersion = envelope.slice();
    wrongVersion[0] = 0x02;
    const noSlots = Uint8Array.of(0x01, 0);
    for (const malformed of [wrongVersion, noSlots, envelope.subarray(0, envelope.length - 1), new Uint8Array(0)]) {
      expect(() => decodeKeyEnvelope(malformed)).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
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
