import { createECDH, createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { bytesEqual, bytesToHex, concatBytes } from '../../domain/bytes';
import { InvalidKeyError } from '../../domain/errors';
import { KeyPair } from '../../domain/ports/cipher.port';
import { RecordSigner } from '../../domain/ports/record-signer.port';
import {
  P256_ORDER,
  P256_PRIVATE_KEY_BYTES,
  P256_PUBLIC_KEY_BYTES,
  P256_SCALAR_BYTES,
  P256_SIGNATURE_BYTES,
  SHA256_BYTES,
} from './crypto.constants';
import { bigintToBytes, os2ip } from './integer-encoding';
import { NodeCryptoHpkePrimitives } from './node-crypto.primitives';

const OPENSSL_P256 = 'prime256v1';
/** Key validation, derivation and SHA-256 come from the same OpenSSL backend the cipher uses. */
const P256 = new NodeCryptoHpkePrimitives();
const HALF_ORDER = P256_ORDER >> 1n;
/** Signatures travel as r || s (IEEE P1363), not DER. */
const SIGNATURE_ENCODING = 'ieee-p1363';
/** Offsets inside a SEC 1 uncompressed point: 0x04 || x (32) || y (32). */
const X_START = 1;
const Y_START = X_START + P256_SCALAR_BYTES;

/**
 * ECDSA P-256 over SHA-256 (FIPS 186-5) via node:crypto. Signatures are r || s, 64 bytes,
 * normalised to low-S (s <= n/2) so each message/key has one valid encoding, and verify()
 * rejects high-S: a signature cannot be re-encoded into a second valid one.
 */
export class EcdsaP256RecordSigner extends RecordSigner {
  private readonly signingKey: KeyObject;
  private readonly ownKeyId: Uint8Array;
  /** hex(key id) -> public key, as bytes and as the KeyObject verify() uses. */
  private readonly trusted = new Map<string, { publicKey: Uint8Array; key: KeyObject }>();

  /**
   * @param signingKey the key this service signs with; its public key is trusted too.
   * @param trustedPublicKeys further 65-byte SEC 1 public keys whose signatures verify
   *   (earlier deployments, peer services). InvalidKeyError for any that is not on P-256.
   */
  constructor(signingKey: KeyPair, trustedPublicKeys: readonly Uint8Array[] = []) {
    super();
    assertMatchingKeyPair(signingKey);
    this.signingKey = createPrivateKey({
      key: { ...publicJwk(signingKey.publicKey), d: base64url(signingKey.privateKey) },
      format: 'jwk',
    });
    this.ownKeyId = this.trust(signingKey.publicKey);
    for (const publicKey of trustedPublicKeys) this.trust(publicKey);
  }

  /** A fresh signing key pair: 32-byte private scalar, 65-byte SEC 1 uncompressed public key. */
  static generateSigningKeyPair(): KeyPair {
    const ecdh = createECDH(OPENSSL_P256);
    ecdh.generateKeys();
    // getPrivateKey drops leading zero octets; pad back to Nsk.
    const privateKey = leftPad(new Uint8Array(ecdh.getPrivateKey()), P256_PRIVATE_KEY_BYTES);
    return { privateKey, publicKey: new Uint8Array(ecdh.getPublicKey(null, 'uncompressed')) };
  }

  keyId(): Uint8Array {
    return this.ownKeyId.slice();
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    const signature = new Uint8Array(
      sign('sha256', message, { key: this.signingKey, dsaEncoding: SIGNATURE_ENCODING }),
    );
    const s = os2ip(signature.subarray(P256_SCALAR_BYTES));
    // OpenSSL does not normalise; (r, n - s) verifies for the same message and key.
    if (s > HALF_ORDER) signature.set(bigintToBytes(P256_ORDER - s, P256_SCALAR_BYTES), P256_SCALAR_BYTES);
    return signature;
  }

  async verify(message: Uint8Array, signature: Uint8Array, keyId: Uint8Array): Promise<boolean> {
    if (!(keyId instanceof Uint8Array) || keyId.length !== SHA256_BYTES) return false;
    const trusted = this.trusted.get(bytesToHex(keyId));
    return trusted !== undefined && verifyLowS(message, signature, trusted.key);
  }

  async verifyWithPublicKey(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
    let key: KeyObject;
    try {
      // Off-curve points and wrong lengths are refused here, before OpenSSL sees them.
      P256.p256ValidatePublicKey(publicKey);
      key = createPublicKey({ key: publicJwk(publicKey), format: 'jwk' });
    } catch {
      return false;
    }
    return verifyLowS(message, signature, key);
  }

  trustedPublicKey(keyId: Uint8Array): Uint8Array | null {
    if (!(keyId instanceof Uint8Array) || keyId.length !== SHA256_BYTES) return null;
    return this.trusted.get(bytesToHex(keyId))?.publicKey.slice() ?? null;
  }

  private trust(publicKey: Uint8Array): Uint8Array {
    P256.p256ValidatePublicKey(publicKey);
    const keyId = P256.sha256(publicKey);
    this.trusted.set(bytesToHex(keyId), {
      publicKey: publicKey.slice(),
      key: createPublicKey({ key: publicJwk(publicKey), format: 'jwk' }),
    });
    return keyId;
  }
}

/** ECDSA verification that refuses high-S (see the class comment) and reports any malformed input as false. */
function verifyLowS(message: Uint8Array, signature: Uint8Array, key: KeyObject): boolean {
  if (!(message instanceof Uint8Array) || !(signature instanceof Uint8Array)) return false;
  if (signature.length !== P256_SIGNATURE_BYTES) return false;
  if (os2ip(signature.subarray(P256_SCALAR_BYTES)) > HALF_ORDER) return false;
  try {
    return verify('sha256', message, { key, dsaEncoding: SIGNATURE_ENCODING }, signature);
  } catch {
    return false;
  }
}

function assertMatchingKeyPair(keyPair: KeyPair): void {
  const derived = P256.p256PublicKey(keyPair.privateKey);
  if (!bytesEqual(derived, keyPair.publicKey)) {
    throw new InvalidKeyError('The signing public key does not belong to the private key.');
  }
}

/** RFC 7518 §6.2.1: x and y are the point's coordinates, base64url, without the 0x04 prefix. */
function publicJwk(publicKey: Uint8Array): { kty: 'EC'; crv: 'P-256'; x: string; y: string } {
  return {
    kty: 'EC',
    crv: 'P-256',
    x: base64url(publicKey.subarray(X_START, Y_START)),
    y: base64url(publicKey.subarray(Y_START, P256_PUBLIC_KEY_BYTES)),
  };
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function leftPad(bytes: Uint8Array, length: number): Uint8Array {
  return concatBytes(new Uint8Array(length - bytes.length), bytes);
}
