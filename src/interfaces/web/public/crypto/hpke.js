// @ts-check
/**
 * RFC 9180 HPKE, base mode, for the service's one suite: DHKEM(P-256, HKDF-SHA256) (KEM 0x0010),
 * HKDF-SHA256 (KDF 0x0001), AES-256-GCM (AEAD 0x0002). Written over WebCrypto alone; HKDF is
 * built from HMAC because WebCrypto's HKDF cannot run Extract and Expand separately, which the
 * labeled functions of §4 need. Byte-compatible with the service's HpkeP256Suite.
 *
 * Keys: a recipient is { privateKey: CryptoKey (ECDH, may be non-extractable), publicKey: 65
 * bytes }. Decap needs pkRm for kem_context (§4.1) and a non-extractable key cannot give it back,
 * so the caller passes it. The sender's ephemeral key pair may be pinned for known-answer tests.
 */
import { buf, concatBytes, i2osp, subtle, utf8, WebCryptoError } from './bytes.js';
import { generateP256KeyPair, importP256PublicKey, P256_PUBLIC_KEY_BYTES, p256Ecdh } from './p256.js';

export const HPKE_KEM_ID = 0x0010;
export const HPKE_KDF_ID = 0x0001;
export const HPKE_AEAD_ID = 0x0002;
export const HPKE_MODE_BASE = 0x00;
/** Nk for AES-256-GCM. */
export const AES256_KEY_BYTES = 32;
/** Nn for AES-256-GCM. */
export const GCM_NONCE_BYTES = 12;
/** Nt: the full 128-bit tag, appended to the ciphertext. */
export const GCM_TAG_BYTES = 16;
const GCM_TAG_BITS = GCM_TAG_BYTES * 8;
/** Nh for HKDF-SHA256, and Nsecret for DHKEM(P-256, HKDF-SHA256). */
const SHA256_BYTES = 32;
/** RFC 5869 §2.3: at most 255 blocks. */
const HKDF_MAX_OUTPUT_BYTES = 255 * SHA256_BYTES;
const ID_BYTES = 2;

const HPKE_VERSION_LABEL = utf8('HPKE-v1');
const KEM_SUITE_ID = concatBytes(utf8('KEM'), i2osp(HPKE_KEM_ID, ID_BYTES));
const HPKE_SUITE_ID = concatBytes(
  utf8('HPKE'),
  i2osp(HPKE_KEM_ID, ID_BYTES),
  i2osp(HPKE_KDF_ID, ID_BYTES),
  i2osp(HPKE_AEAD_ID, ID_BYTES),
);
const EMPTY = new Uint8Array(0);
/** RFC 5869 §2.2: an absent salt is HashLen zeros (WebCrypto refuses a zero-length HMAC key). */
const ZERO_SALT = new Uint8Array(SHA256_BYTES);

/**
 * @param {Uint8Array} key
 * @param {Uint8Array} data
 */
async function hmacSha256(key, data) {
  const hmacKey = await subtle.importKey('raw', buf(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', hmacKey, buf(data)));
}

/**
 * RFC 9180 §4 LabeledExtract = HKDF-Extract(salt, "HPKE-v1" || suite_id || label || ikm).
 * @param {Uint8Array} suiteId
 * @param {Uint8Array} salt
 * @param {string} label
 * @param {Uint8Array} ikm
 */
function labeledExtract(suiteId, salt, label, ikm) {
  return hmacSha256(salt.length === 0 ? ZERO_SALT : salt, concatBytes(HPKE_VERSION_LABEL, suiteId, utf8(label), ikm));
}

/**
 * RFC 9180 §4 LabeledExpand = HKDF-Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L).
 * @param {Uint8Array} suiteId
 * @param {Uint8Array} prk
 * @param {string} label
 * @param {Uint8Array} info
 * @param {number} length
 */
async function labeledExpand(suiteId, prk, label, info, length) {
  if (!Number.isSafeInteger(length) || length < 0 || length > HKDF_MAX_OUTPUT_BYTES) {
    throw new RangeError(`HKDF-Expand output must be 0..${HKDF_MAX_OUTPUT_BYTES} bytes`);
  }
  const labeledInfo = concatBytes(i2osp(length, ID_BYTES), HPKE_VERSION_LABEL, suiteId, utf8(label), info);
  const out = new Uint8Array(length);
  let block = EMPTY;
  for (let offset = 0, counter = 1; offset < length; offset += SHA256_BYTES, counter++) {
    block = await hmacSha256(prk, concatBytes(block, labeledInfo, i2osp(counter, 1)));
    out.set(block.subarray(0, Math.min(SHA256_BYTES, length - offset)), offset);
  }
  return out;
}

/**
 * RFC 9180 §4.1 ExtractAndExpand: the ECDH output never serves as a key itself.
 * @param {Uint8Array} dh
 * @param {Uint8Array} enc
 * @param {Uint8Array} recipientPublicKey
 */
async function extractAndExpand(dh, enc, recipientPublicKey) {
  const eaePrk = await labeledExtract(KEM_SUITE_ID, EMPTY, 'eae_prk', dh);
  return labeledExpand(KEM_SUITE_ID, eaePrk, 'shared_secret', concatBytes(enc, recipientPublicKey), SHA256_BYTES);
}

/**
 * @typedef {{ privateKey: CryptoKey, publicKey: Uint8Array }} P256KeyPair
 * @typedef {{ ephemeral?: P256KeyPair }} SealOptions pin skE/pkE (known-answer tests only)
 */

/**
 * RFC 9180 §4.1 Encap.
 * @param {Uint8Array} recipientPublicKey
 * @param {SealOptions} [options]
 */
export async function encap(recipientPublicKey, options = {}) {
  const ephemeral = options.ephemeral ?? (await generateP256KeyPair('ECDH'));
  const dh = await p256Ecdh(ephemeral.privateKey, recipientPublicKey);
  const enc = ephemeral.publicKey.slice();
  return { sharedSecret: await extractAndExpand(dh, enc, recipientPublicKey), enc };
}

/**
 * RFC 9180 §4.1 Decap; INVALID_KEY when `enc` is not a P-256 point.
 * @param {Uint8Array} enc
 * @param {P256KeyPair} recipient
 */
export async function decap(enc, recipient) {
  const dh = await p256Ecdh(recipient.privateKey, enc);
  return extractAndExpand(dh, enc, recipient.publicKey);
}

/**
 * RFC 9180 §5.1 KeySchedule in mode_base (psk = psk_id = "").
 * @param {Uint8Array} sharedSecret
 * @param {Uint8Array} info
 */
export async function keySchedule(sharedSecret, info) {
  const pskIdHash = await labeledExtract(HPKE_SUITE_ID, EMPTY, 'psk_id_hash', EMPTY);
  const infoHash = await labeledExtract(HPKE_SUITE_ID, EMPTY, 'info_hash', info);
  const keyScheduleContext = concatBytes(Uint8Array.of(HPKE_MODE_BASE), pskIdHash, infoHash);
  const secret = await labeledExtract(HPKE_SUITE_ID, sharedSecret, 'secret', EMPTY);
  return {
    keyScheduleContext,
    secret,
    key: await labeledExpand(HPKE_SUITE_ID, secret, 'key', keyScheduleContext, AES256_KEY_BYTES),
    baseNonce: await labeledExpand(HPKE_SUITE_ID, secret, 'base_nonce', keyScheduleContext, GCM_NONCE_BYTES),
    exporterSecret: await labeledExpand(HPKE_SUITE_ID, secret, 'exp', keyScheduleContext, SHA256_BYTES),
  };
}

/**
 * AES-256-GCM seal: ciphertext || 16-byte tag.
 * @param {Uint8Array | CryptoKey} key raw 32 bytes, or an AES-GCM CryptoKey
 * @param {Uint8Array} nonce
 * @param {Uint8Array} aad
 * @param {Uint8Array} plaintext
 */
export async function aes256GcmSeal(key, nonce, aad, plaintext) {
  const params = { name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad), tagLength: GCM_TAG_BITS };
  return new Uint8Array(await subtle.encrypt(params, await aesKey(key), buf(plaintext)));
}

/**
 * Inverse of aes256GcmSeal; DECRYPTION_FAILED on a bad tag, a wrong key or a too-short input.
 * @param {Uint8Array | CryptoKey} key
 * @param {Uint8Array} nonce
 * @param {Uint8Array} aad
 * @param {Uint8Array} ciphertext
 */
export async function aes256GcmOpen(key, nonce, aad, ciphertext) {
  const params = { name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad), tagLength: GCM_TAG_BITS };
  const cryptoKey = await aesKey(key);
  try {
    return new Uint8Array(await subtle.decrypt(params, cryptoKey, buf(ciphertext)));
  } catch {
    throw new WebCryptoError('DECRYPTION_FAILED', 'The ciphertext did not authenticate.');
  }
}

/** @param {Uint8Array | CryptoKey} key */
async function aesKey(key) {
  if (!ArrayBuffer.isView(key)) return key;
  if (key.length !== AES256_KEY_BYTES) {
    throw new WebCryptoError('INVALID_KEY', `An AES-256-GCM key must be ${AES256_KEY_BYTES} bytes.`);
  }
  return subtle.importKey('raw', buf(key), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** RFC 9180 §5.2 encryption context; the sequence number only moves forward. */
class HpkeContext {
  /** @param {{ key: Uint8Array, baseNonce: Uint8Array, exporterSecret: Uint8Array }} schedule */
  constructor(schedule) {
    this.schedule = schedule;
    this.seq = 0;
  }

  /** RFC 9180 §5.2 ComputeNonce: base_nonce XOR I2OSP(seq, Nn). */
  nextNonce() {
    if (this.seq >= Number.MAX_SAFE_INTEGER) throw new RangeError('HPKE message limit reached');
    const nonce = this.schedule.baseNonce.slice();
    const seqBytes = i2osp(this.seq, GCM_NONCE_BYTES);
    for (let i = 0; i < GCM_NONCE_BYTES; i++) nonce[i] ^= seqBytes[i];
    return nonce;
  }

  /**
   * RFC 9180 §5.3 Context.Export.
   * @param {Uint8Array} exporterContext
   * @param {number} length
   */
  export(exporterContext, length) {
    return labeledExpand(HPKE_SUITE_ID, this.schedule.exporterSecret, 'sec', exporterContext, length);
  }
}

export class HpkeSenderContext extends HpkeContext {
  /**
   * RFC 9180 §5.2 ContextS.Seal.
   * @param {Uint8Array} aad
   * @param {Uint8Array} plaintext
   */
  async seal(aad, plaintext) {
    const ciphertext = await aes256GcmSeal(this.schedule.key, this.nextNonce(), aad, plaintext);
    this.seq += 1;
    return ciphertext;
  }
}

export class HpkeRecipientContext extends HpkeContext {
  /**
   * RFC 9180 §5.2 ContextR.Open; a failure leaves the sequence number where it was.
   * @param {Uint8Array} aad
   * @param {Uint8Array} ciphertext
   */
  async open(aad, ciphertext) {
    const plaintext = await aes256GcmOpen(this.schedule.key, this.nextNonce(), aad, ciphertext);
    this.seq += 1;
    return plaintext;
  }
}

/**
 * RFC 9180 §5.1.1 SetupBaseS.
 * @param {Uint8Array} recipientPublicKey 65-byte SEC 1 point
 * @param {Uint8Array} info
 * @param {SealOptions} [options]
 */
export async function setupBaseS(recipientPublicKey, info, options) {
  // Validates pkR (§7.1.4) before any ephemeral key is drawn.
  await importP256PublicKey(recipientPublicKey, 'ECDH');
  const { sharedSecret, enc } = await encap(recipientPublicKey, options);
  return { enc, context: new HpkeSenderContext(await keySchedule(sharedSecret, info)) };
}

/**
 * RFC 9180 §5.1.1 SetupBaseR.
 * @param {Uint8Array} enc
 * @param {P256KeyPair} recipient
 * @param {Uint8Array} info
 */
export async function setupBaseR(enc, recipient, info) {
  if (!ArrayBuffer.isView(enc) || enc.length !== P256_PUBLIC_KEY_BYTES) {
    throw new WebCryptoError('INVALID_KEY', 'enc must be a 65-byte P-256 point.');
  }
  return new HpkeRecipientContext(await keySchedule(await decap(enc, recipient), info));
}

/**
 * RFC 9180 §6.1 single-shot SealBase.
 * @param {Uint8Array} recipientPublicKey
 * @param {Uint8Array} info
 * @param {Uint8Array} aad
 * @param {Uint8Array} plaintext
 * @param {SealOptions} [options]
 */
export async function seal(recipientPublicKey, info, aad, plaintext, options) {
  const { enc, context } = await setupBaseS(recipientPublicKey, info, options);
  return { enc, ciphertext: await context.seal(aad, plaintext) };
}

/**
 * RFC 9180 §6.1 single-shot OpenBase.
 * @param {Uint8Array} enc
 * @param {P256KeyPair} recipient
 * @param {Uint8Array} info
 * @param {Uint8Array} aad
 * @param {Uint8Array} ciphertext
 */
export async function open(enc, recipient, info, aad, ciphertext) {
  return (await setupBaseR(enc, recipient, info)).open(aad, ciphertext);
}
