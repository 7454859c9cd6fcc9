import {
  bytesToHex,
  hexToBytes,
  importP256PrivateKey,
  keySchedule,
  open,
  seal,
  setupBaseR,
  setupBaseS,
  WebCryptoError,
} from '../../src/interfaces/web/public/crypto/index.js';
import vectors from '../vectors/rfc9180-dhkem-p256-hkdf-sha256-aes256gcm.json';

/** RFC 9180 Appendix A.3: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128/256-GCM; ours is AEAD 0x0002. */
const baseVectors = vectors.filter((v) => v.mode === 0 && v.kem_id === 0x10 && v.kdf_id === 0x01 && v.aead_id === 0x02);
const vector = baseVectors[0];
const hex = hexToBytes;

async function recipientOf(v: typeof vector) {
  return { privateKey: await importP256PrivateKey(hex(v.skRm), hex(v.pkRm), 'ECDH'), publicKey: hex(v.pkRm) };
}

async function ephemeralOf(v: typeof vector) {
  return { privateKey: await importP256PrivateKey(hex(v.skEm), hex(v.pkEm), 'ECDH'), publicKey: hex(v.pkEm) };
}

describe('the web crypto module’s HPKE (RFC 9180 base mode, P-256 / HKDF-SHA256 / AES-256-GCM)', () => {
  it('#13 has the RFC 9180 base-mode vector for this suite to run', () => {
    expect(baseVectors.length).toBeGreaterThanOrEqual(1);
    expect(vector.encryptions.length).toBeGreaterThan(1);
  });

  it.each(baseVectors.map((v, i) => [i, v] as const))(
    '#13 vector %i: SetupBaseS with the pinned skE gives enc and every encryption in sequence',
    async (_i, v) => {
      const { enc, context } = await setupBaseS(hex(v.pkRm), hex(v.info), { ephemeral: await ephemeralOf(v) });
      expect(bytesToHex(enc)).toBe(v.enc);
      for (const [seq, encryption] of v.encryptions.entries()) {
        const ct = await context.seal(hex(encryption.aad), hex(encryption.pt));
        expect({ seq, ct: bytesToHex(ct) }).toEqual({ seq, ct: encryption.ct });
      }
      for (const exported of v.exports) {
        const value = await context.export(hex(exported.exporter_context), exported.L);
        expect(bytesToHex(value)).toBe(exported.exported_value);
      }
    },
  );

  it.each(baseVectors.map((v, i) => [i, v] as const))(
    '#13 vector %i: SetupBaseR opens every encryption in sequence and derives the key schedule',
    async (_i, v) => {
      const context = await setupBaseR(hex(v.enc), await recipientOf(v), hex(v.info));
      for (const [seq, encryption] of v.encryptions.entries()) {
        const pt = await context.open(hex(encryption.aad), hex(encryption.ct));
        expect({ seq, pt: bytesToHex(pt) }).toEqual({ seq, pt: encryption.pt });
      }
      const schedule = await keySchedule(hex(v.shared_secret), hex(v.info));
      expect(bytesToHex(schedule.keyScheduleContext)).toBe(v.key_schedule_context);
      expect(bytesToHex(schedule.secret)).toBe(v.secret);
      expect(bytesToHex(schedule.key)).toBe(v.key);
      expect(bytesToHex(schedule.baseNonce)).toBe(v.base_nonce);
      expect(bytesToHex(schedule.exporterSecret)).toBe(v.exporter_secret);
    },
  );

  it('#13 single-shot seal/open is the first message of the sequence, and opens with a non-extractable key', async () => {
    const first = vector.encryptions[0];
    const sealed = await seal(hex(vector.pkRm), hex(vector.info), hex(first.aad), hex(first.pt), {
      ephemeral: await ephemeralOf(vector),
    });
    expect(bytesToHex(sealed.ciphertext)).toBe(first.ct);
    const recipient = await recipientOf(vector);
    expect(recipient.privateKey.extractable).toBe(false);
    const opened = await open(sealed.enc, recipient, hex(vector.info), hex(first.aad), sealed.ciphertext);
    expect(bytesToHex(opened)).toBe(first.pt);
  });

  it('#13 seal without a pinned key draws a fresh ephemeral key each time', async () => {
    const a = await seal(hex(vector.pkRm), hex(vector.info), new Uint8Array(0), new Uint8Array(1));
    const b = await seal(hex(vector.pkRm), hex(vector.info), new Uint8Array(0), new Uint8Array(1));
    expect(bytesToHex(a.enc)).not.toBe(bytesToHex(b.enc));
  });

  it('#13 a tampered ciphertext, aad or info fails with DECRYPTION_FAILED; a bad enc or pkR with INVALID_KEY', async () => {
    const recipient = await recipientOf(vector);
    const first = vector.encryptions[0];
    const info = hex(vector.info);
    const aad = hex(first.aad);
    const ct = hex(first.ct);
    const flipped = (bytes: Uint8Array, at: number) => {
      const copy = bytes.slice();
      copy[at] ^= 0x01;
      return copy;
    };
    // Thunks, each awaited in turn: a rejection created before its expect would go unhandled.
    const failures = [
      () => open(hex(vector.enc), recipient, info, aad, flipped(ct, 0)),
      () => open(hex(vector.enc), recipient, info, flipped(aad, 0), ct),
      () => open(hex(vector.enc), recipient, flipped(info, 0), aad, ct),
    ];
    for (const failure of failures) {
      await expect(failure()).rejects.toMatchObject({ name: 'WebCryptoError', code: 'DECRYPTION_FAILED' });
    }
    const offCurve = flipped(hex(vector.enc), 64);
    await expect(open(offCurve, recipient, info, aad, ct)).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(seal(flipped(hex(vector.pkRm), 64), info, aad, ct)).rejects.toBeInstanceOf(WebCryptoError);
  });
});
