import { KeyPair } from './cipher.port';

/**
 * Holds private keys. Records are sealed to the keys this vault returns and opened
 * with them; nothing outside an adapter ever sees a private key's bytes in a log.
 */
export abstract class KeyVault {
  /** The deployment's own encryption key pair (P-256), created on first start. */
  abstract serviceKeyPair(): Promise<KeyPair>;
}
