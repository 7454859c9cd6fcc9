import { KeyPair } from './cipher.port';

/**
 * Holds private keys: one P-256 key pair per patient and provider (`ref` from principalRef). Adapters keep them encrypted at rest; nothing
 * outside an adapter ever logs a private key's bytes.
 */
export abstract class KeyVault {
  /** Creates and stores a key pair for `ref`; returns the existing one if there is one. */
  abstract createKeyPair(ref: string): Promise<KeyPair>;

  /** The key pair of `ref`, or null if none was created. */
  abstract keyPair(ref: string): Promise<KeyPair | null>;
}
