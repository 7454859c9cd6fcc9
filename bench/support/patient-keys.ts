import { createDecipheriv, createECDH, hkdfSync } from 'node:crypto';
import { join } from 'node:path';
import { REPO_ROOT } from './service';

/**
 * A patient who holds their own keys (issue 13), set up in Node with the page's own client
 * module (src/interfaces/web/public/patient/patient-client.js), as the page would: claim, then
 * register keys (POST /me/keys with the proof and the recovery backup).
 */

const CLIENT_MODULE_PATH = join(REPO_ROOT, 'src', 'interfaces', 'web', 'public', 'patient', 'patient-client.js');

/** Key backup v1 (spec §4): 0x01 ‖ salt (16) ‖ nonce (12) ‖ AES-256-GCM(enc scalar 32 ‖ sig scalar 32) ‖ tag (16). */
const BACKUP_VERSION = 0x01;
const BACKUP_SALT_BYTES = 16;
const GCM_NONCE_BYTES = 12;
const GCM_TAG_BYTES = 16;
const AES256_KEY_BYTES = 32;
const P256_SCALAR_BYTES = 32;
const BACKUP_BYTES = 1 + BACKUP_SALT_BYTES + GCM_NONCE_BYTES + 2 * P256_SCALAR_BYTES + GCM_TAG_BYTES;
const BACKUP_DOMAIN = 'patient-centric-emr/key-backup/v1';

/** The part of PatientClient (patient-client.js, JavaScript typed by JSDoc) the bench calls. */
export interface PatientClient {
  readonly token: string;
  registerKeys(): Promise<{ recoveryCode: string }>;
  /** Seals the current epoch key to the provider and signs the grant for each ledger (issue 14). */
  grantConsent(providerId: string, options?: { expiresAt?: string | Date | null }): Promise<unknown>;
}

interface PatientClientModule {
  PatientClient: {
    claim(code: string, options: { baseUrl: string }): Promise<PatientClient>;
  };
}

/**
 * A real `import()`: this file is compiled to CommonJS, where TypeScript would turn `import()`
 * into `require()`; the client module is an ES module meant for the page, loaded here unchanged.
 */
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

export interface RegisteredPatient {
  readonly token: string;
  /** The client that registered the keys (it keeps them), for consent changes the patient signs. */
  readonly client: PatientClient;
  /** 65-byte SEC 1 points, as registered. */
  readonly encryptionPublicKey: Buffer;
  readonly signingPublicKey: Buffer;
  /**
   * The private scalars, for the bench to hand to its page (throwaway keys of a throwaway
   * service). A real patient's scalars never leave the browser except inside the backup.
   */
  readonly encryptionScalar: Buffer;
  readonly signingScalar: Buffer;
}

/**
 * Claims the patient's token with `claimCode`, registers fresh keys through PatientClient, and
 * recovers their private scalars from the backup the service now holds (GET /me/key-backup), with
 * the recovery code registerKeys showed: the client keeps its keys non-extractable, and the page
 * the bench drives must import the same keys.
 */
export async function registerPatientKeys(baseUrl: string, claimCode: string): Promise<RegisteredPatient> {
  const { PatientClient } = (await importEsm(CLIENT_MODULE_PATH)) as PatientClientModule;
  const client = await PatientClient.claim(claimCode, { baseUrl });
  const { recoveryCode } = await client.registerKeys();
  const response = await fetch(`${baseUrl}/api/v1/me/key-backup`, {
    headers: { authorization: `Bearer ${client.token}` },
  });
  if (response.status !== 200) throw new Error(`GET /me/key-backup: ${response.status}`);
  const answer = (await response.json()) as { backup: string; encryptionPublicKey: string; signingPublicKey: string };
  const encryptionPublicKey = fromHex0x(answer.encryptionPublicKey);
  const signingPublicKey = fromHex0x(answer.signingPublicKey);
  const { encryptionScalar, signingScalar } = openKeyBackup(
    Buffer.from(answer.backup, 'base64'),
    recoveryCode,
    encryptionPublicKey,
    signingPublicKey,
  );
  // A scalar that does not give back its registered point would make every read fail as NO_SLOT,
  // far from the cause: check here.
  if (
    !publicKeyOf(encryptionScalar).equals(encryptionPublicKey) ||
    !publicKeyOf(signingScalar).equals(signingPublicKey)
  ) {
    throw new Error('The key backup does not hold the registered keys');
  }
  return {
    token: client.token,
    client,
    encryptionPublicKey,
    signingPublicKey,
    encryptionScalar,
    signingScalar,
  };
}

/**
 * Opens backup v1 (layout above): key = HKDF-SHA256(utf8(normalised code), salt, BACKUP_DOMAIN, 32),
 * aad = BACKUP_DOMAIN ‖ encryption public key ‖ signing public key. The code comes straight from
 * registerKeys (grouped by '-', alphabet characters only), so normalising is dropping the '-'.
 */
function openKeyBackup(
  backup: Buffer,
  recoveryCode: string,
  encryptionPublicKey: Buffer,
  signingPublicKey: Buffer,
): { encryptionScalar: Buffer; signingScalar: Buffer } {
  if (backup.length !== BACKUP_BYTES || backup[0] !== BACKUP_VERSION) throw new Error('Not a key backup v1');
  const saltStart = 1;
  const nonceStart = saltStart + BACKUP_SALT_BYTES;
  const sealedStart = nonceStart + GCM_NONCE_BYTES;
  const tagStart = backup.length - GCM_TAG_BYTES;
  const key = Buffer.from(
    hkdfSync(
      'sha256',
      Buffer.from(recoveryCode.replace(/-/g, ''), 'utf8'),
      backup.subarray(saltStart, nonceStart),
      Buffer.from(BACKUP_DOMAIN, 'utf8'),
      AES256_KEY_BYTES,
    ),
  );
  const decipher = createDecipheriv('aes-256-gcm', key, backup.subarray(nonceStart, sealedStart));
  decipher.setAAD(Buffer.concat([Buffer.from(BACKUP_DOMAIN, 'utf8'), encryptionPublicKey, signingPublicKey]));
  decipher.setAuthTag(backup.subarray(tagStart));
  const plaintext = Buffer.concat([decipher.update(backup.subarray(sealedStart, tagStart)), decipher.final()]);
  return {
    encryptionScalar: plaintext.subarray(0, P256_SCALAR_BYTES),
    signingScalar: plaintext.subarray(P256_SCALAR_BYTES),
  };
}

function publicKeyOf(scalar: Buffer): Buffer {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(scalar);
  return ecdh.getPublicKey();
}

function fromHex0x(text: string): Buffer {
  if (!/^0x([0-9a-f]{2})+$/.test(text)) throw new Error('Expected 0x-prefixed lowercase hex');
  return Buffer.from(text.slice(2), 'hex');
}
