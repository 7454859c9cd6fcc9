import { createECDH, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '../../domain/bytes';

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
  readonly keyVaultMasterKey?: string;
}

interface SecretsFile {
  readonly version: 1;
  readonly pseudonymSecret: string;
  readonly signingPrivateKey: string;
  readonly keyVaultMasterKey: string;
}

/** AES-256-GCM key that seals the principals' private keys at rest. */
export const KEY_VAULT_MASTER_KEY_BYTES = 32;

const SECRETS_DIR = 'secrets';
const SECRETS_FILE = 'deployment.json';
/** Owner-only: the file holds private keys. */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/**
 * The deployment's own secrets. Values from configuration win; anything missing is
 * generated on first start into `<dataDir>/secrets/deployment.json` (mode 0600) and
 * read back on every later start, so records stay readable across restarts.
 * Losing this file makes every record unreadable: back it up with the chain data.
 */
export function loadOrCreateDeploymentSecrets(
  dataDir: string,
  overrides: SecretOverrides = {},
): {
  secrets: DeploymentSecrets;
  path: string;
  created: boolean;
} {
  const dir = join(dataDir, SECRETS_DIR);
  const path = join(dir, SECRETS_FILE);
  let stored: SecretsFile;
  let created = false;
  if (existsSync(path)) {
    stored = JSON.parse(readFileSync(path, 'utf8')) as SecretsFile;
  } else {
    stored = {
      version: 1,
      pseudonymSecret: bytesToHex(randomBytes(PSEUDONYM_SECRET_BYTES)),
      signingPrivateKey: bytesToHex(generateP256PrivateKey()),
      keyVaultMasterKey: bytesToHex(randomBytes(KEY_VAULT_MASTER_KEY_BYTES)),
    };
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(stored, null, 2), { mode: FILE_MODE, flag: 'wx' });
    renameSync(temporary, path);
    created = true;
  }
  chmodSync(path, FILE_MODE);
  const pick = (override: string | undefined, fallback: string) => hexToBytes(override ?? fallback);
  return {
    secrets: {
      pseudonymSecret: pick(overrides.pseudonymSecret, stored.pseudonymSecret),
      signingPrivateKey: pick(overrides.signingPrivateKey, stored.signingPrivateKey),
      keyVaultMasterKey: pick(overrides.keyVaultMasterKey, stored.keyVaultMasterKey),
    },
    path,
    created,
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
