// @ts-check
/**
 * The patient's recovery code and the key backup it opens (issue 13 spec §4). The backup is
 * opaque to the service, which stores it as given; only this module reads or writes it.
 *
 * Recovery code: 140 random bits as 28 Crockford base32 characters, shown as 7 groups of 4
 * joined by '-'. 140 bits leave an offline guesser (the service, or whoever steals its database)
 * nothing to grind, so the KDF can be a plain HKDF.
 *
 * Backup, version 1 (offsets in bytes), exactly 109 bytes:
 *
 *   0     1   version   0x01
 *   1    16   salt      random
 *   17   12   nonce     random
 *   29   80   AES-256-GCM(key, nonce, aad, encryption scalar (32) || signing scalar (32)) || tag (16)
 *
 *   key = HKDF-SHA256(ikm = utf8(normalised code), salt, info = BACKUP_DOMAIN, 32 bytes)
 *   aad = BACKUP_DOMAIN || encryption public key (65) || signing public key (65)
 *
 * The public keys are in the aad, so a backup opens only for the key pairs it was made for.
 */
import { buf, concatBytes, randomBytes, subtle, utf8, WebCryptoError } from './bytes.js';
import { aes256GcmOpen, aes256GcmSeal, AES256_KEY_BYTES, GCM_NONCE_BYTES, GCM_TAG_BYTES } from './hpke.js';
import { exportP256PrivateKey, importP256PrivateKey, importP256PublicKey, P256_PRIVATE_KEY_BYTES } from './p256.js';

/** Crockford base32: no I, L, O, U. */
export const RECOVERY_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const RECOVERY_CODE_CHARS = 28;
export const RECOVERY_CODE_BITS = 140;
const RECOVERY_CODE_GROUP_CHARS = 4;
const BITS_PER_CHAR = 5;
const CHAR_MASK = (1 << BITS_PER_CHAR) - 1;

const BACKUP_DOMAIN = utf8('patient-centric-emr/key-backup/v1');
export const KEY_BACKUP_VERSION = 0x01;
const BACKUP_VERSION_BYTES = 1;
const BACKUP_SALT_BYTES = 16;
const BACKUP_PLAINTEXT_BYTES = 2 * P256_PRIVATE_KEY_BYTES;
export const KEY_BACKUP_BYTES =
  BACKUP_VERSION_BYTES + BACKUP_SALT_BYTES + GCM_NONCE_BYTES + BACKUP_PLAINTEXT_BYTES + GCM_TAG_BYTES;

/**
 * A fresh recovery code, grouped for display: `XXXX-XXXX-…` (7 groups). Each character takes the
 * low 5 bits of its own random byte: 256 is a multiple of 32, so every character is uniform.
 */
export function generateRecoveryCode() {
  const random = randomBytes(RECOVERY_CODE_CHARS);
  const chars = Array.from(random, (byte) => RECOVERY_CODE_ALPHABET[byte & CHAR_MASK]);
  random.fill(0);
  const groups = [];
  for (let i = 0; i < RECOVERY_CODE_CHARS; i += RECOVERY_CODE_GROUP_CHARS) {
    groups.push(chars.slice(i, i + RECOVERY_CODE_GROUP_CHARS).join(''));
  }
  return groups.join('-');
}

/**
 * The code as typed, reduced to its 28 characters: upper case, spaces and '-' dropped, O read as
 * 0 and I, L as 1 (Crockford's decoding). MALFORMED when that is not 28 alphabet characters.
 * @param {string} text
 */
export function normaliseRecoveryCode(text) {
  const normalised =
    typeof text === 'string' ? text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1') : '';
  if (normalised.length !== RECOVERY_CODE_CHARS || [...normalised].some((c) => !RECOVERY_CODE_ALPHABET.includes(c))) {
    throw new WebCryptoError('MALFORMED', 'This is not a recovery code.');
  }
  return normalised;
}

/**
 * The AES-256-GCM key that seals the backup, never extractable.
 * @param {string} recoveryCode
 * @param {Uint8Array} salt
 */
async function backupKey(recoveryCode, salt) {
  const ikm = await subtle.importKey('raw', buf(utf8(normaliseRecoveryCode(recoveryCode))), 'HKDF', false, [
    'deriveKey',
  ]);
  return subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: buf(salt), info: buf(BACKUP_DOMAIN) },
    ikm,
    { name: 'AES-GCM', length: AES256_KEY_BYTES * 8 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/**
 * @param {Uint8Array} encryptionPublicKey
 * @param {Uint8Array} signingPublicKey
 */
async function backupAad(encryptionPublicKey, signingPublicKey) {
  await importP256PublicKey(encryptionPublicKey, 'ECDH');
  await importP256PublicKey(signingPublicKey, 'ECDSA');
  return concatBytes(BACKUP_DOMAIN, encryptionPublicKey, signingPublicKey);
}

/**
 * @typedef {{ privateKey: CryptoKey, publicKey: Uint8Array }} KeyPair
 * @typedef {{ encryption: KeyPair, signing: KeyPair }} PatientKeyPairs
 */

/**
 * The backup of both private keys under the recovery code (layout at the top of this file). The
 * private keys must be extractable: this is the one place they are exported, and the raw scalars
 * are overwritten as soon as they are sealed.
 * @param {{ recoveryCode: string, encryption: KeyPair, signing: KeyPair }} input
 * @param {{ salt?: Uint8Array, nonce?: Uint8Array }} [options] pinned randomness (tests only)
 */
export async function wrapKeyBackup({ recoveryCode, encryption, signing }, options = {}) {
  const salt = options.salt ?? randomBytes(BACKUP_SALT_BYTES);
  const nonce = options.nonce ?? randomBytes(GCM_NONCE_BYTES);
  if (salt.length !== BACKUP_SALT_BYTES || nonce.length !== GCM_NONCE_BYTES) {
    throw new WebCryptoError('MALFORMED', 'A backup salt is 16 bytes and its nonce 12.');
  }
  const aad = await backupAad(encryption.publicKey, signing.publicKey);
  const key = await backupKey(recoveryCode, salt);
  const plaintext = concatBytes(
    await exportP256PrivateKey(encryption.privateKey),
    await exportP256PrivateKey(signing.privateKey),
  );
  try {
    const sealed = await aes256GcmSeal(key, nonce, aad, plaintext);
    return concatBytes(Uint8Array.of(KEY_BACKUP_VERSION), salt, nonce, sealed);
  } finally {
    plaintext.fill(0);
  }
}

/**
 * The key pairs a backup holds, as non-extractable CryptoKeys. MALFORMED for a backup that is
 * not 109 bytes of version 1 or a code that is not a recovery code; DECRYPTION_FAILED for a wrong
 * code, a tampered backup, or public keys other than the ones it was made for.
 * @param {{ recoveryCode: string, backup: Uint8Array, encryptionPublicKey: Uint8Array, signingPublicKey: Uint8Array }} input
 * @param {{ extractable?: boolean }} [options] extractable only to be wrapped into a new backup at
 *   once (a signing-key replacement, issue 14); never to be stored
 * @returns {Promise<PatientKeyPairs>}
 */
export async function unwrapKeyBackup(
  { recoveryCode, backup, encryptionPublicKey, signingPublicKey },
  { extractable = false } = {},
) {
  if (!ArrayBuffer.isView(backup) || backup.length !== KEY_BACKUP_BYTES || backup[0] !== KEY_BACKUP_VERSION) {
    throw new WebCryptoError('MALFORMED', 'This is not a key backup.');
  }
  const saltStart = BACKUP_VERSION_BYTES;
  const nonceStart = saltStart + BACKUP_SALT_BYTES;
  const sealedStart = nonceStart + GCM_NONCE_BYTES;
  const aad = await backupAad(encryptionPublicKey, signingPublicKey);
  const key = await backupKey(recoveryCode, backup.subarray(saltStart, nonceStart));
  const plaintext = await aes256GcmOpen(
    key,
    backup.subarray(nonceStart, sealedStart),
    aad,
    backup.subarray(sealedStart),
  );
  try {
    const encryptionScalar = plaintext.subarray(0, P256_PRIVATE_KEY_BYTES);
    const signingScalar = plaintext.subarray(P256_PRIVATE_KEY_BYTES);
    return {
      encryption: {
        privateKey: await importP256PrivateKey(encryptionScalar, encryptionPublicKey, 'ECDH', extractable),
        publicKey: encryptionPublicKey.slice(),
      },
      signing: {
        privateKey: await importP256PrivateKey(signingScalar, signingPublicKey, 'ECDSA', extractable),
        publicKey: signingPublicKey.slice(),
      },
    };
  } finally {
    plaintext.fill(0);
  }
}
