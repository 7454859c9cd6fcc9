import { createECDH, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '../../domain/bytes';
import { writeFileDurably } from '../journal/durable-file';

/** HMAC-SHA256 key length for patient pseudonyms (RFC 2104: at least the hash length). */
export const PSEUDONYM_SECRET_BYTES = 32;
/** P-256 private scalars are 32 bytes (SEC 1 §2.3.6). */
export const P256_PRIVATE_KEY_BYTES = 32;

export interface DeploymentSecrets {
  readonly pseudonymSecret: Uint8Array;
  readonly signingPrivateKey: Uint8Array;
  readonly keyVaultMasterKey: Uint8Array;
}

export interface SecretOverrides {
  readonly pseudonymSecret?: string;
  readonly signingPrivateKey?: string;
  /** From KEY_VAULT_MASTER_KEY (or KEY_VAULT_MASTER_KEY_FILE): kept outside the data directory. */
  readonly keyVaultMasterKey?: string;
}

export interface SecretsPolicy {
  /**
   * Whether a key-vault master key may live in the data directory (the embedded default): false
   * for remote ledgers, whose master key must come from configuration.
   */
  readonly masterKeyInDataDir: boolean;
}

interface SecretsFile {
  readonly version: 1;
  readonly pseudonymSecret: string;
  readonly signingPrivateKey: string;
  /** Only when generated for the embedded default (or written by an earlier version). */
  readonly keyVaultMasterKey?: string;
}

/** AES-256-GCM key that seals the principals' private keys at rest. */
export const KEY_VAULT_MASTER_KEY_BYTES = 32;

const SECRETS_DIR = 'secrets';
const SECRETS_FILE = 'deployment.json';
/** Owner-only: the file holds private keys. */
const FILE_MODE = 0o600;

export interface LoadedSecrets {
  readonly secrets: DeploymentSecrets;
  readonly path: string;
  readonly created: boolean;
  /** Where the key-vault master key came from. */
  readonly masterKeySource: 'configuration' | 'data directory';
  /** What changed in the file or needs the operator's attention; no secret in them. */
  readonly notes: readonly string[];
}

/**
 * The deployment's own secrets. Values from configuration win; a missing pseudonym secret or
 * signing key is generated on first start into `<dataDir>/secrets/deployment.json` (mode 0600,
 * written durably) and read back on every later start, so records stay readable across restarts.
 * The key-vault master key is generated there only when `policy.masterKeyInDataDir` (the embedded
 * default); a configured one is never written, and the same key left there by an earlier version
 * is removed. Losing this file makes every record unreadable: back it up with the chain data.
 */
export function loadOrCreateDeploymentSecrets(
  dataDir: string,
  overrides: SecretOverrides = {},
  policy: SecretsPolicy = { masterKeyInDataDir: true },
): LoadedSecrets {
  const path = join(dataDir, SECRETS_DIR, SECRETS_FILE);
  const notes: string[] = [];
  let created = false;
  let changed = false;
  let stored: SecretsFile;
  if (existsSync(path)) {
    stored = JSON.parse(readFileSync(path, 'utf8')) as SecretsFile;
  } else {
    stored = {
      version: 1,
      pseudonymSecret: bytesToHex(randomBytes(PSEUDONYM_SECRET_BYTES)),
      signingPrivateKey: bytesToHex(generateP256PrivateKey()),
    };
    created = changed = true;
  }
  const configured = overrides.keyVaultMasterKey?.replace(/^0x/, '').toLowerCase();
  let keyVaultMasterKey: string;
  if (configured !== undefined) {
    keyVaultMasterKey = configured;
    if (stored.keyVaultMasterKey?.toLowerCase() === configured) {
      stored = { version: 1, pseudonymSecret: stored.pseudonymSecret, signingPrivateKey: stored.signingPrivateKey };
      changed = true;
      notes.push(`removed the key-vault master key from ${path}: it comes from configuration now.`);
    } else if (stored.keyVaultMasterKey !== undefined) {
      notes.push(
        `${path} still holds a key-vault master key that differs from the configured one; left in place. ` +
          'If the key vault was sealed with it, configure that key instead.',
      );
    }
  } else if (stored.keyVaultMasterKey !== undefined && policy.masterKeyInDataDir) {
    keyVaultMasterKey = stored.keyVaultMasterKey;
  } else if (policy.masterKeyInDataDir) {
    keyVaultMasterKey = bytesToHex(randomBytes(KEY_VAULT_MASTER_KEY_BYTES));
    stored = { ...stored, keyVaultMasterKey };
    changed = true;
  } else {
    throw new Error('KEY_VAULT_MASTER_KEY (or KEY_VAULT_MASTER_KEY_FILE) must be configured for these ledgers.');
  }
  if (changed) writeFileDurably(path, JSON.stringify(stored, null, 2));
  chmodSync(path, FILE_MODE);
  const pick = (override: string | undefined, fallback: string) => hexToBytes(override ?? fallback);
  return {
    secrets: {
      pseudonymSecret: pick(overrides.pseudonymSecret, stored.pseudonymSecret),
      signingPrivateKey: pick(overrides.signingPrivateKey, stored.signingPrivateKey),
      keyVaultMasterKey: hexToBytes(keyVaultMasterKey),
    },
    path,
    created,
    masterKeySource: configured !== undefined ? 'configuration' : 'data directory',
    notes,
  };
}

export function generateP256PrivateKey(): Uint8Array {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  // getPrivateKey() drops leading zero octets (1 key in 256): pad back to 32 bytes.
  const scalar = ecdh.getPrivateKey();
  const out = new Uint8Array(P256_PRIVATE_KEY_BYTES);
  out.set(scalar, P256_PRIVATE_KEY_BYTES - scalar.length);
  return out;
}

/** SEC 1 uncompressed public key (65 bytes) for a P-256 private scalar. */
export function p256PublicKey(privateKey: Uint8Array): Uint8Array {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(privateKey);
  return new Uint8Array(ecdh.getPublicKey(null, 'uncompressed'));
}
