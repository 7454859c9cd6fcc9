// @ts-check
/**
 * The patient's own key pairs (issue 13 spec §1, §4): an ECDH pair that records are sealed to and
 * an ECDSA pair that signs the patient's uploads, born in the browser. The private halves leave
 * WebCrypto exactly once, sealed into the recovery backup; from then on they are non-extractable
 * CryptoKeys kept in IndexedDB (structured clone keeps a CryptoKey without exposing it). Nothing
 * here sends or logs private key material.
 */
import { concatBytes, lengthPrefixed, utf8 } from './bytes.js';
import { signRecord } from './ecdsa.js';
import { generateP256KeyPair } from './p256.js';
import { generateRecoveryCode, unwrapKeyBackup, wrapKeyBackup } from './recovery.js';

const REGISTRATION_DOMAIN = utf8('patient-centric-emr/register-keys/v1');
export const KEY_STORE_DATABASE = 'patient-centric-emr';
export const KEY_STORE_NAME = 'patient-keys';
const KEY_STORE_DATABASE_VERSION = 1;

/**
 * @typedef {import('./recovery.js').PatientKeyPairs} PatientKeyPairs
 * @typedef {{ patientId: string, encryption: { privateKey: CryptoKey, publicKey: Uint8Array },
 *   signing: { privateKey: CryptoKey, publicKey: Uint8Array }, storedAt: string,
 *   formerSigningPublicKeys?: Uint8Array[] }} StoredPatientKeys
 *   formerSigningPublicKeys: the signing keys replaced here (issue 14), oldest first, public halves only
 * @typedef {{ get(patientId: string): Promise<StoredPatientKeys | null>,
 *   put(record: StoredPatientKeys): Promise<void>, delete(patientId: string): Promise<void> }} KeyStore
 */

/**
 * New key pairs, their backup and the recovery code that opens it (show it once). The pairs are
 * made extractable only to be sealed into the backup; the keys returned are unwrapped from that
 * very backup, so they are non-extractable and the backup is known to open with the code.
 * @returns {Promise<{ keys: PatientKeyPairs, backup: Uint8Array, recoveryCode: string }>}
 */
export async function createPatientKeys() {
  const encryption = await generateP256KeyPair('ECDH', true);
  const signing = await generateP256KeyPair('ECDSA', true);
  const recoveryCode = generateRecoveryCode();
  const backup = await wrapKeyBackup({ recoveryCode, encryption, signing });
  const keys = await unwrapKeyBackup({
    recoveryCode,
    backup,
    encryptionPublicKey: encryption.publicKey,
    signingPublicKey: signing.publicKey,
  });
  return { keys, backup, recoveryCode };
}

/**
 * What the registration proof signs:
 *   lp("patient-centric-emr/register-keys/v1") | lp(utf8(patientId)) | lp(encryptionPublicKey) | lp(signingPublicKey)
 * @param {string} patientId
 * @param {Uint8Array} encryptionPublicKey
 * @param {Uint8Array} signingPublicKey
 */
export function registrationPayload(patientId, encryptionPublicKey, signingPublicKey) {
  return concatBytes(
    lengthPrefixed(REGISTRATION_DOMAIN),
    lengthPrefixed(utf8(patientId)),
    lengthPrefixed(encryptionPublicKey),
    lengthPrefixed(signingPublicKey),
  );
}

/**
 * The proof for POST /me/keys: the signing key signs the registration payload (64 bytes, low-S),
 * showing the patient holds it and binding both public keys to this patient.
 * @param {CryptoKey} signingPrivateKey
 * @param {string} patientId
 * @param {Uint8Array} encryptionPublicKey
 * @param {Uint8Array} signingPublicKey
 */
export function registrationProof(signingPrivateKey, patientId, encryptionPublicKey, signingPublicKey) {
  return signRecord(signingPrivateKey, registrationPayload(patientId, encryptionPublicKey, signingPublicKey));
}

/**
 * Where this browser keeps the patient's keys: IndexedDB database `patient-centric-emr`, object
 * store `patient-keys`, keyed by patientId. Without IndexedDB (Node, tests) a store over an
 * in-memory Map, fresh for each call.
 * @returns {Promise<KeyStore>}
 */
export async function openKeyStore() {
  if (typeof globalThis.indexedDB === 'undefined') return memoryKeyStore();
  return indexedDbKeyStore(await openDatabase());
}

/** @returns {KeyStore} */
function memoryKeyStore() {
  /** @type {Map<string, StoredPatientKeys>} */
  const records = new Map();
  return {
    async get(patientId) {
      return records.get(patientId) ?? null;
    },
    async put(record) {
      records.set(record.patientId, withStoredAt(record));
    },
    async delete(patientId) {
      records.delete(patientId);
    },
  };
}

/** @param {StoredPatientKeys} record */
function withStoredAt(record) {
  return { ...record, storedAt: record.storedAt ?? new Date().toISOString() };
}

/** @returns {Promise<IDBDatabase>} */
function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = globalThis.indexedDB.open(KEY_STORE_DATABASE, KEY_STORE_DATABASE_VERSION);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(KEY_STORE_NAME)) {
        request.result.createObjectStore(KEY_STORE_NAME, { keyPath: 'patientId' });
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error('The key store is blocked by another tab.'));
  });
}

/**
 * @param {IDBDatabase} database
 * @returns {KeyStore}
 */
function indexedDbKeyStore(database) {
  /**
   * @param {IDBTransactionMode} mode
   * @param {(store: IDBObjectStore) => IDBRequest} operation
   * @returns {Promise<any>}
   */
  const run = (mode, operation) =>
    new Promise((resolve, reject) => {
      const transaction = database.transaction(KEY_STORE_NAME, mode);
      const request = operation(transaction.objectStore(KEY_STORE_NAME));
      // Resolve on commit, not on the request's success: a write is durable only then.
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  return {
    async get(patientId) {
      return (await run('readonly', (store) => store.get(patientId))) ?? null;
    },
    async put(record) {
      await run('readwrite', (store) => store.put(withStoredAt(record)));
    },
    async delete(patientId) {
      await run('readwrite', (store) => store.delete(patientId));
    },
  };
}
