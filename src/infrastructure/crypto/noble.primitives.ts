import { gcm } from '@noble/ciphers/aes.js';
import { p256 } from '@noble/curves/nist.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { DecryptionFailedError, InvalidKeyError } from '../../domain/errors';
import { GCM_TAG_BYTES, P256_PRIVATE_KEY_BYTES } from './crypto.constants';
import { assertAes256GcmInputs, hasUncompressedP256Format, HpkePrimitives, P256EcdhResult } from './hpke.primitives';

/**
 * Pure-JavaScript backend (@noble/curves, @noble/ciphers, @noble/hashes). Audited and
 * portable, but P-256 and AES-GCM run roughly an order of magnitude slower than OpenSSL,
 * so it serves as the reference that the node:crypto backend is checked against.
 */
export class NobleHpkePrimitives implements HpkePrimitives {
  readonly name = 'noble';

  p256IsValidPrivateKey(privateKey: Uint8Array): boolean {
    return privateKey.length === P256_PRIVATE_KEY_BYTES && p256.utils.isValidSecretKey(privateKey);
  }

  p256PublicKey(privateKey: Uint8Array): Uint8Array {
    this.assertPrivateKey(privateKey);
    return p256.getPublicKey(privateKey, false);
  }

  p256ValidatePublicKey(publicKey: Uint8Array): void {
    if (!hasUncompressedP256Format(publicKey)) {
      throw new InvalidKeyError('A P-256 public key must be a 65-byte SEC 1 uncompressed point.');
    }
    try {
      p256.Point.fromBytes(publicKey).assertValidity();
    } catch {
      throw new InvalidKeyError('The public key is not a point on P-256.');
    }
  }

  p256Ecdh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
    this.assertPrivateKey(privateKey);
    this.p256ValidatePublicKey(publicKey);
    // Compressed form is 0x02/0x03 || x: dropping the prefix leaves the x-coordinate.
    return p256.getSharedSecret(privateKey, publicKey, true).slice(1);
  }

  /** noble has no key object to reuse: this is p256Ecdh and p256PublicKey, one after the other. */
  p256EcdhWithPublicKey(privateKey: Uint8Array, peerPublicKey: Uint8Array): P256EcdhResult {
    return { dh: this.p256Ecdh(privateKey, peerPublicKey), publicKey: this.p256PublicKey(privateKey) };
  }

  aes256GcmSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    assertAes256GcmInputs(key, nonce);
    return gcm(key, nonce, aad).encrypt(plaintext);
  }

  aes256GcmOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    assertAes256GcmInputs(key, nonce);
    if (ciphertext.length < GCM_TAG_BYTES) throw new DecryptionFailedError('The ciphertext is too short.');
    try {
      return gcm(key, nonce, aad).decrypt(ciphertext);
    } catch {
      throw new DecryptionFailedError('Decryption failed.');
    }
  }

  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
    return hmac(sha256, key, data);
  }

  sha256(data: Uint8Array): Uint8Array {
    return sha256(data);
  }

  private assertPrivateKey(privateKey: Uint8Array): void {
    if (!this.p256IsValidPrivateKey(privateKey)) {
      throw new InvalidKeyError('A P-256 private key must be a 32-byte scalar in [1, n-1].');
    }
  }
}
