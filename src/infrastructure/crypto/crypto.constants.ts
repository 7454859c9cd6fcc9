/**
 * Lengths and curve parameters shared by the crypto adapters. Names follow RFC 9180 §7
 * (Nsk, Npk, Nk, Nn, Nt, Nh) where a name exists there.
 */

/** Nsk for DHKEM(P-256): a scalar in [1, n-1], big-endian (SEC 1 §2.3.6). */
export const P256_PRIVATE_KEY_BYTES = 32;

/** Npk for DHKEM(P-256): SEC 1 §2.3.3 uncompressed point, 0x04 || x || y. */
export const P256_PUBLIC_KEY_BYTES = 65;

/** First octet of a SEC 1 §2.3.3 uncompressed point. */
export const SEC1_UNCOMPRESSED_PREFIX = 0x04;

/** Ndh for DHKEM(P-256): the shared point's x-coordinate (RFC 9180 §7.1.1). */
export const P256_ECDH_BYTES = 32;

/** ECDSA P-256 signature as r || s, each a 32-byte big-endian integer (IEEE P1363). */
export const P256_SIGNATURE_BYTES = 64;

/** Width of r and of s inside a P1363 signature. */
export const P256_SCALAR_BYTES = 32;

/** Order n of the P-256 base point (SEC 2 §2.4.2). */
export const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** Nk for AES-256-GCM. */
export const AES256_KEY_BYTES = 32;

/** Nn for AES-256-GCM (NIST SP 800-38D §5.2.1.1, 96-bit IV). */
export const GCM_NONCE_BYTES = 12;

/** Nt for AES-256-GCM: full 128-bit tag, appended to the ciphertext. */
export const GCM_TAG_BYTES = 16;

/** Nh for HKDF-SHA256, and the SHA-256 / HMAC-SHA256 output length. */
export const SHA256_BYTES = 32;
