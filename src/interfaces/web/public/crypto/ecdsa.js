// @ts-check
/**
 * ECDSA P-256 over SHA-256 record signatures, as the service's EcdsaP256RecordSigner makes them:
 * 64 bytes r || s (IEEE P1363, which is also WebCrypto's encoding, so no DER conversion), with
 * s normalised to low-S (s <= n/2). WebCrypto does not normalise, so sign() does; verify()
 * refuses high-S, as the service does, so a signature has exactly one valid encoding.
 */
import { buf, subtle, WebCryptoError } from './bytes.js';
import { importP256PublicKey, P256_SCALAR_BYTES } from './p256.js';

export const P256_SIGNATURE_BYTES = 2 * P256_SCALAR_BYTES;
/** Order n of the P-256 base point (SEC 2 §2.4.2). */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_ORDER = P256_ORDER >> 1n;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' };

/** @param {Uint8Array} bytes big-endian */
function os2ip(bytes) {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/**
 * @param {bigint} value
 * @param {number} length
 */
function bigintToBytes(value, length) {
  const out = new Uint8Array(length);
  let rest = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/**
 * A record signature: 64 bytes r || s, low-S.
 * @param {CryptoKey} privateKey ECDSA P-256 private key (may be non-extractable)
 * @param {Uint8Array} message
 */
export async function signRecord(privateKey, message) {
  const signature = new Uint8Array(await subtle.sign(ECDSA_SHA256, privateKey, buf(message)));
  const s = os2ip(signature.subarray(P256_SCALAR_BYTES));
  // (r, n - s) verifies for the same message and key; keep the low one, as the service does.
  if (s > HALF_ORDER) signature.set(bigintToBytes(P256_ORDER - s, P256_SCALAR_BYTES), P256_SCALAR_BYTES);
  return signature;
}

/**
 * True only for a 64-byte low-S r || s signature of `message` by `publicKey`. A malformed
 * signature is simply false; a public key that is not a P-256 point raises INVALID_KEY, since
 * that is the caller's mistake, not the signer's.
 * @param {Uint8Array} publicKey 65-byte SEC 1 point
 * @param {Uint8Array} message
 * @param {Uint8Array} signature
 */
export async function verifyRecordSignature(publicKey, message, signature) {
  const key = await importP256PublicKey(publicKey, 'ECDSA');
  if (!ArrayBuffer.isView(signature) || signature.length !== P256_SIGNATURE_BYTES) return false;
  if (os2ip(signature.subarray(P256_SCALAR_BYTES)) > HALF_ORDER) return false;
  try {
    return await subtle.verify(ECDSA_SHA256, key, buf(signature), buf(message));
  } catch {
    return false;
  }
}

/**
 * verifyRecordSignature for callers that want a thrown error rather than false.
 * @param {Uint8Array} publicKey
 * @param {Uint8Array} message
 * @param {Uint8Array} signature
 */
export async function assertRecordSignature(publicKey, message, signature) {
  if (!(await verifyRecordSignature(publicKey, message, signature))) {
    throw new WebCryptoError('BAD_SIGNATURE', 'The record signature does not verify.');
  }
}
