import {
  buildSealedUpload,
  bytesToHex,
  concatBytes,
  createPatientKeys,
  decodeRecordHeader,
  describeKeyEnvelope,
  encodeRecordHeader,
  generateDataKey,
  generateP256KeyPair,
  keyIdOf,
  openSealedHeader,
  openSealedRecord,
  recordAad,
  recordSigningPayload,
  sealDataKey,
  sealPart,
  sha256,
  signRecord,
  toBase64,
  toHex0x,
  utf8,
  verifyRecordSignature,
} from '../../src/interfaces/web/public/crypto/index.js';

type Keys = Awaited<ReturnType<typeof createPatientKeys>>['keys'];
type Pair = Awaited<ReturnType<typeof generateP256KeyPair>>;
type Sealed = Record<string, unknown> & {
  signer: { kind: string; keyId: string; publicKey: string };
  addedKeyEnvelopes: string[];
};

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const PATIENT_ID = 'patient-0042';
const patientKey = new Uint8Array(32).fill(0x42);
const FILE = utf8('%PDF-1.7 a lab result');

const lp = (bytes: Uint8Array) => {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
};

function flippedHex(hex: string, byte = 0): string {
  const digits = hex.slice(2).split('');
  digits[2 * byte + 1] = ((parseInt(digits[2 * byte + 1], 16) ^ 1) & 0xf).toString(16);
  return `0x${digits.join('')}`;
}

function flippedBase64(text: string, at = 0): string {
  const bytes = Uint8Array.from(Buffer.from(text, 'base64'));
  bytes[at] ^= 0x01;
  return toBase64(bytes);
}

function sValue(signature: Uint8Array): bigint {
  return BigInt(toHex0x(signature.subarray(32)));
}

/** The SealedRecord JSON the service answers for a patient's own upload (spec §7). */
async function patientUpload(keys: Keys, recipients: Uint8Array[], chain: 'supchain' | 'medchain' = 'supchain') {
  const built = await buildSealedUpload({
    bytes: FILE,
    fileName: 'lab.pdf',
    contentType: 'application/pdf',
    patientId: PATIENT_ID,
    patientKey,
    chains: [chain],
    recipients,
    signingKey: keys.signing.privateKey,
  });
  const sealed: Sealed = {
    recordId: toHex0x(built.recordId),
    patientId: PATIENT_ID,
    patientKey: toHex0x(patientKey),
    chain,
    version: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    transactions: [],
    blockNumber: 1,
    contentSha256: toHex0x(await sha256(built.content)),
    contentLength: built.content.length,
    sealedHeader: toBase64(built.sealedHeader),
    keyEnvelope: toBase64(built.keyEnvelope),
    addedKeyEnvelopes: [],
    signature: toHex0x(built.signatures[chain]),
    signer: {
      kind: 'patient',
      keyId: toHex0x(await keyIdOf(keys.signing.publicKey)),
      publicKey: toHex0x(keys.signing.publicKey),
    },
    content: toBase64(built.content),
  };
  return { built, sealed };
}

/**
 * A record as the service seals a provider's upload: signed by the service's key, sealed to
 * `recipients`; `size` lets a test sign a header that lies about the file.
 */
async function serviceUpload(serviceKey: Pair, recipients: Uint8Array[], options: { size?: number } = {}) {
  const recordId = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const aad = recordAad(patientKey, recordId);
  const dataKey = generateDataKey();
  const header = encodeRecordHeader({
    fileName: 'scan.png',
    contentType: 'image/png',
    size: options.size ?? FILE.length,
    uploader: 'st-mary',
  });
  const sealedHeader = await sealPart(dataKey, header, 0, aad);
  const content = await sealPart(dataKey, FILE, 1, aad);
  const keyEnvelope = await sealDataKey(dataKey, recipients, aad);
  const contentSha256 = await sha256(content);
  const payload = await recordSigningPayload({
    chain: 'medchain',
    patientKey,
    recordId,
    contentSha256,
    sealedHeader,
    keyEnvelope,
  });
  const sealed: Sealed = {
    recordId: toHex0x(recordId),
    patientId: PATIENT_ID,
    patientKey: toHex0x(patientKey),
    chain: 'medchain',
    contentSha256: toHex0x(contentSha256),
    contentLength: content.length,
    sealedHeader: toBase64(sealedHeader),
    keyEnvelope: toBase64(keyEnvelope),
    addedKeyEnvelopes: [],
    signature: toHex0x(await signRecord(serviceKey.privateKey, payload)),
    signer: {
      kind: 'service',
      keyId: toHex0x(await keyIdOf(serviceKey.publicKey)),
      publicKey: toHex0x(serviceKey.publicKey),
    },
    content: toBase64(content),
  };
  return { sealed, dataKey, aad };
}

describe('recordSigningPayload', () => {
  const fields = {
    chain: 'supchain',
    patientKey,
    recordId: new Uint8Array(32).fill(7),
    contentSha256: new Uint8Array(32).fill(8),
    sealedHeader: utf8('sealed header'),
  };

  it('#13 v2 for a v2 envelope: domain …/v2, then chain, patient key, record id, content hash, header, SHA-256(envelope)', async () => {
    const keyEnvelope = Uint8Array.of(0x02, 1, ...new Uint8Array(113));
    const payload = await recordSigningPayload({ ...fields, keyEnvelope });
    const expected = concatBytes(
      lp(utf8('patient-centric-emr/record-signature/v2')),
      lp(utf8('supchain')),
      lp(fields.patientKey),
      lp(fields.recordId),
      lp(fields.contentSha256),
      lp(fields.sealedHeader),
      lp(await sha256(keyEnvelope)),
    );
    expect(bytesToHex(payload)).toBe(bytesToHex(expected));
    // The envelope is covered: another one changes the payload.
    const other = keyEnvelope.slice();
    other[50] ^= 1;
    expect(bytesToHex(await recordSigningPayload({ ...fields, keyEnvelope: other }))).not.toBe(bytesToHex(payload));
  });

  it('#13 v1 for a v1 envelope: domain …/v1 and no envelope field, as records signed before issue 13', async () => {
    const keyEnvelope = Uint8Array.of(0x01, 1, ...new Uint8Array(145));
    const payload = await recordSigningPayload({ ...fields, keyEnvelope });
    const expected = concatBytes(
      lp(utf8('patient-centric-emr/record-signature/v1')),
      lp(utf8('supchain')),
      lp(fields.patientKey),
      lp(fields.recordId),
      lp(fields.contentSha256),
      lp(fields.sealedHeader),
    );
    expect(bytesToHex(payload)).toBe(bytesToHex(expected));
  });

  it('#13 refuses an unknown chain or a field of the wrong length (MALFORMED)', async () => {
    const keyEnvelope = Uint8Array.of(0x02);
    await expect(recordSigningPayload({ ...fields, chain: 'both', keyEnvelope })).rejects.toMatchObject({
      code: 'MALFORMED',
    });
    await expect(recordSigningPayload({ ...fields, recordId: new Uint8Array(31), keyEnvelope })).rejects.toMatchObject({
      code: 'MALFORMED',
    });
  });
});

describe('the record header', () => {
  it('#13 encodes as the service’s encodeHeader: fileName, contentType, size, uploader, sha1, in that order', () => {
    const header = { fileName: 'a.pdf', contentType: 'application/pdf', size: 3, uploader: 'p', sha1: 'ab'.repeat(20) };
    expect(new TextDecoder().decode(encodeRecordHeader(header))).toBe(
      `{"fileName":"a.pdf","contentType":"application/pdf","size":3,"uploader":"p","sha1":"${'ab'.repeat(20)}"}`,
    );
    expect(decodeRecordHeader(encodeRecordHeader(header))).toEqual(header);
    expect(() => decodeRecordHeader(utf8('{"fileName":1}'))).toThrow(expect.objectContaining({ code: 'INTEGRITY' }));
  });
});

describe('a patient’s sealed upload and sealed read', () => {
  let keys: Keys;
  let provider: Pair;

  beforeAll(async () => {
    ({ keys } = await createPatientKeys());
    provider = await generateP256KeyPair('ECDH');
  });

  it('#13 buildSealedUpload → openSealedRecord round trip: the header as the service writes it, the bytes as given', async () => {
    const { built, sealed } = await patientUpload(keys, [keys.encryption.publicKey, provider.publicKey]);
    expect(built.recordId).toHaveLength(32);
    expect(describeKeyEnvelope(built.keyEnvelope)).toEqual({ version: 2, slots: 2 });
    const { header, bytes } = await openSealedRecord(sealed, keys);
    const sha1 = bytesToHex(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-1', FILE)));
    expect(header).toEqual({
      fileName: 'lab.pdf',
      contentType: 'application/pdf',
      size: FILE.length,
      uploader: PATIENT_ID,
      sha1,
    });
    expect(bytesToHex(bytes)).toBe(bytesToHex(FILE));
    const { content: _content, ...listItem } = sealed;
    await expect(openSealedHeader(listItem, keys)).resolves.toEqual(header);
  });

  it('#13 one low-S patient signature per target chain, each over payload v2 for its chain', async () => {
    const built = await buildSealedUpload({
      bytes: FILE,
      fileName: 'lab.pdf',
      contentType: 'application/pdf',
      sha1Hex: 'AB'.repeat(20),
      patientId: PATIENT_ID,
      patientKey,
      recordId: new Uint8Array(32).fill(3),
      chains: ['supchain', 'medchain'],
      recipients: [keys.encryption.publicKey],
      signingKey: keys.signing.privateKey,
    });
    expect(Object.keys(built.signatures).sort()).toEqual(['medchain', 'supchain']);
    const contentSha256 = await sha256(built.content);
    for (const chain of ['supchain', 'medchain']) {
      const payload = await recordSigningPayload({
        chain,
        patientKey,
        contentSha256,
        ...built,
      });
      await expect(verifyRecordSignature(keys.signing.publicKey, payload, built.signatures[chain])).resolves.toBe(true);
    }
    const supPayload = await recordSigningPayload({ chain: 'supchain', patientKey, contentSha256, ...built });
    await expect(verifyRecordSignature(keys.signing.publicKey, supPayload, built.signatures.medchain)).resolves.toBe(
      false,
    );
    // Low-S always (WebCrypto would give high-S about half the time).
    for (let i = 0; i < 24; i++) {
      const signature = await signRecord(keys.signing.privateKey, supPayload);
      expect(sValue(signature) <= P256_ORDER / 2n).toBe(true);
    }
    for (const signature of Object.values(built.signatures)) expect(sValue(signature) <= P256_ORDER / 2n).toBe(true);
  });

  it('#13 a flipped byte in any signed field, or in the signature or signer, fails with BAD_SIGNATURE', async () => {
    const { sealed } = await patientUpload(keys, [keys.encryption.publicKey]);
    const variants: [string, Sealed][] = [
      ['recordId', { ...sealed, recordId: flippedHex(sealed.recordId as string, 31) }],
      ['patientKey', { ...sealed, patientKey: flippedHex(sealed.patientKey as string) }],
      ['chain', { ...sealed, chain: 'medchain' }],
      ['contentSha256', { ...sealed, contentSha256: flippedHex(sealed.contentSha256 as string, 5) }],
      ['sealedHeader', { ...sealed, sealedHeader: flippedBase64(sealed.sealedHeader as string, 3) }],
      ['keyEnvelope', { ...sealed, keyEnvelope: flippedBase64(sealed.keyEnvelope as string, 80) }],
      ['signature', { ...sealed, signature: flippedHex(sealed.signature as string, 40) }],
      ['signer.keyId', { ...sealed, signer: { ...sealed.signer, keyId: flippedHex(sealed.signer.keyId) } }],
      [
        'signer.publicKey',
        { ...sealed, signer: { ...sealed.signer, publicKey: flippedHex(sealed.signer.publicKey, 64) } },
      ],
      ['signer.kind', { ...sealed, signer: { ...sealed.signer, kind: 'provider' } }],
    ];
    for (const [field, variant] of variants) {
      await expect(openSealedRecord(variant, keys).catch((error) => `${field}: ${error.code}`)).resolves.toBe(
        `${field}: BAD_SIGNATURE`,
      );
    }
    // Unaltered, it opens: the failures above are the flips.
    await expect(openSealedRecord(sealed, keys)).resolves.toBeDefined();
  });

  it('#13 content that does not match its signed hash or length fails with INTEGRITY', async () => {
    const { sealed } = await patientUpload(keys, [keys.encryption.publicKey]);
    await expect(
      openSealedRecord({ ...sealed, content: flippedBase64(sealed.content as string, 2) }, keys),
    ).rejects.toMatchObject({
      code: 'INTEGRITY',
    });
    await expect(
      openSealedRecord({ ...sealed, contentLength: (sealed.contentLength as number) + 1 }, keys),
    ).rejects.toMatchObject({ code: 'INTEGRITY' });
  });

  it('#13 a record signed by another patient’s key, or not sealed to this patient, is refused', async () => {
    const other = (await createPatientKeys()).keys;
    const { sealed } = await patientUpload(other, [other.encryption.publicKey]);
    // Signed by a patient key that is not this patient's.
    await expect(openSealedRecord(sealed, keys)).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    // This patient's signature, but sealed only to someone else.
    const { sealed: notForMe } = await patientUpload(keys, [provider.publicKey]);
    await expect(openSealedRecord(notForMe, keys)).rejects.toMatchObject({ code: 'NO_SLOT' });
    await expect(openSealedHeader(notForMe, keys)).rejects.toMatchObject({ code: 'NO_SLOT' });
  });
});

describe('a provider’s upload read by the patient (service signature, added key envelopes)', () => {
  let keys: Keys;
  let provider: Pair;
  let service: Pair;

  beforeAll(async () => {
    ({ keys } = await createPatientKeys());
    provider = await generateP256KeyPair('ECDH');
    service = await generateP256KeyPair('ECDSA');
  });

  it('#13 opens through the patient’s slot in an added envelope (a re-wrap); the service key may be pinned', async () => {
    const { sealed, dataKey, aad } = await serviceUpload(service, [provider.publicKey]);
    await expect(openSealedRecord(sealed, keys)).rejects.toMatchObject({ code: 'NO_SLOT' });
    const rewrap = await sealDataKey(dataKey, [keys.encryption.publicKey], aad);
    const withRewrap = { ...sealed, addedKeyEnvelopes: [toBase64(Uint8Array.of(2, 0)), toBase64(rewrap)] };
    const { header, bytes } = await openSealedRecord(withRewrap, keys);
    expect(header.uploader).toBe('st-mary');
    expect(bytesToHex(bytes)).toBe(bytesToHex(FILE));
    await expect(
      openSealedRecord(withRewrap, keys, { trustedServiceKeys: [service.publicKey] }),
    ).resolves.toBeDefined();
    const elsewhere = await generateP256KeyPair('ECDSA');
    await expect(
      openSealedRecord(withRewrap, keys, { trustedServiceKeys: [elsewhere.publicKey] }),
    ).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
  });

  it('#13 a flipped added envelope is no slot (NO_SLOT); one carrying another data key is INTEGRITY', async () => {
    const { sealed, dataKey, aad } = await serviceUpload(service, [provider.publicKey]);
    const rewrap = await sealDataKey(dataKey, [keys.encryption.publicKey], aad);
    await expect(
      openSealedRecord({ ...sealed, addedKeyEnvelopes: [flippedBase64(toBase64(rewrap), 100)] }, keys),
    ).rejects.toMatchObject({ code: 'NO_SLOT' });
    // Anyone can seal some key to the patient's public key; it must open the signed header to count.
    const forged = await sealDataKey(generateDataKey(), [keys.encryption.publicKey], aad);
    await expect(openSealedRecord({ ...sealed, addedKeyEnvelopes: [toBase64(forged)] }, keys)).rejects.toMatchObject({
      code: 'INTEGRITY',
    });
    // A forged one ahead of the genuine one does not hide it.
    await expect(
      openSealedRecord({ ...sealed, addedKeyEnvelopes: [toBase64(forged), toBase64(rewrap)] }, keys),
    ).resolves.toBeDefined();
  });

  it('#13 a signed header whose size differs from the file fails with INTEGRITY', async () => {
    const { sealed } = await serviceUpload(service, [keys.encryption.publicKey], { size: FILE.length + 1 });
    await expect(openSealedRecord(sealed, keys)).rejects.toMatchObject({ code: 'INTEGRITY' });
  });
});
