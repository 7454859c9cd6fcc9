import { webcrypto } from 'node:crypto';
import type { SealedRecordJson } from './patient-keys';

/**
 * The page's patient client (src/interfaces/web/public/patient/patient-client.js) and the key store
 * of its crypto module, loaded for the e2e specs that drive the real service as a patient's browser
 * would. Like test/integration/web-crypto/web-crypto-module.ts: the modules are JavaScript typed by
 * JSDoc, which the service's tsconfig.json does not read (no allowJs), so this file names the
 * signatures the e2e specs call; each of them runs there, so a drift from the module fails there.
 */
type CryptoKey = webcrypto.CryptoKey;

export interface StoredPatientKeys {
  patientId: string;
  encryption: { privateKey: CryptoKey; publicKey: Uint8Array };
  signing: { privateKey: CryptoKey; publicKey: Uint8Array };
  storedAt: string;
  /** Issue 14: signing keys replaced in this key store, oldest first. */
  formerSigningPublicKeys?: Uint8Array[];
}

export interface KeyStore {
  get(patientId: string): Promise<StoredPatientKeys | null | undefined>;
  put(record: StoredPatientKeys): Promise<void>;
  delete(patientId: string): Promise<void>;
}

export interface PatientClientOptions {
  baseUrl: string;
  token: string;
  keyStore?: KeyStore;
  patientId?: string;
  trustedServiceKeys?: readonly Uint8Array[];
}

export interface OpenedSealedRecord {
  header: { fileName: string; contentType: string; size: number; uploader: string; sha1?: string };
  bytes: Uint8Array;
  sealed: SealedRecordJson & { signer: { kind: 'service' | 'patient'; keyId: string; publicKey: string } };
}

/** What POST /patients/{id}/sealed-records answers (the fields the specs read). */
export interface SealedUploadAnswer {
  recordId: string;
  patientId: string;
  chain: string;
  ciphertextSha256: string;
}

export interface PatientClient {
  readonly token: string;
  readonly patientId: string | null;
  me(): Promise<{ id: string; role: string; patientKey: string; keys: Record<string, string> | null }>;
  registerKeys(): Promise<{ recoveryCode: string; stored: boolean; registeredAt?: string; rewrapped?: number }>;
  restoreKeys(recoveryCode: string): Promise<{ encryptionPublicKey: string; signingPublicKey: string }>;
  listSealed(query?: {
    chain?: string;
    limit?: number;
    cursor?: string;
  }): Promise<{ items: SealedRecordJson[]; nextCursor: string | null }>;
  readSealed(recordId: string, query?: { chain?: string }): Promise<OpenedSealedRecord>;
  upload(input: {
    bytes: Uint8Array;
    fileName: string;
    contentType: string;
    chain: 'supchain' | 'medchain' | 'both';
  }): Promise<SealedUploadAnswer>;
  /** Issue 14: a signed grant (the provider's slot of the current epoch, one signature per ledger); the consent. */
  grantConsent(providerId: string, options?: { expiresAt?: string | Date | null }): Promise<ConsentAnswer>;
  /** Issue 14: a signed revoke starting a new epoch for the patient and the providers still consented. */
  revokeConsent(providerId: string): Promise<void>;
  /** Issue 14: the ledgers' grant and revoke history, each change verified here under the patient's own signing key. */
  consentHistory(): Promise<ConsentChangeView[]>;
  /** Issue 14: a new signing key, the replacement signed with the current one, the backup re-wrapped under the recovery code. */
  replaceSigningKey(recoveryCode: string): Promise<{ signingPublicKey: string; formerSigningKeys: string[] }>;
}

/** What POST /patients/{id}/consents answers (the fields the specs read). */
export interface ConsentAnswer {
  providerId: string;
  expiresAt: string | null;
  active: boolean;
  chains: string[];
}

/** One entry of PatientClient.consentHistory(): GET …/consents/history plus the local check. */
export interface ConsentChangeView {
  chain: string;
  action: 'grant' | 'revoke';
  providerId: string | null;
  expiresAt: string | null;
  nonce: string;
  message: string;
  r: string;
  s: string;
  at: string;
  transaction: string | null;
  verified: boolean;
}

export interface PatientClientModule {
  PatientClient: {
    new (options: PatientClientOptions): PatientClient;
    claim(code: string, options: Omit<PatientClientOptions, 'token' | 'patientId'>): Promise<PatientClient>;
  };
  /** Fresh in-memory store per call in Node (no IndexedDB). */
  openKeyStore(): Promise<KeyStore>;
  generateRecoveryCode(): string;
}

/** The specifiers are variables so tsc does not try to type the JavaScript modules (see above). */
const CLIENT_PATH = '../../src/interfaces/web/public/patient/patient-client.js';
const CRYPTO_PATH = '../../src/interfaces/web/public/crypto/index.js';

export async function loadPatientClient(): Promise<PatientClientModule> {
  const client = (await import(CLIENT_PATH)) as Pick<PatientClientModule, 'PatientClient'>;
  const crypto = (await import(CRYPTO_PATH)) as Omit<PatientClientModule, 'PatientClient'>;
  return {
    PatientClient: client.PatientClient,
    openKeyStore: crypto.openKeyStore,
    generateRecoveryCode: crypto.generateRecoveryCode,
  };
}
