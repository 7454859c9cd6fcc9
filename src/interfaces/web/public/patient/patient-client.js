// @ts-check
/**
 * A patient's client for the REST API of issue 13 (spec §7, §8), over fetch only, so the same
 * file runs in the page and in Node 20 (the e2e client). It holds the patient's keys through a
 * key store (IndexedDB in browsers), seals and signs uploads and opens sealed reads locally: the
 * service sees public keys, the opaque backup, ciphertext and signatures, never a private key or
 * a plaintext record. Errors are PatientClientError with the problem+json code.
 */
import {
  buildSealedUpload,
  bytesEqual,
  createPatientKeys,
  fromBase64,
  fromHex0x,
  normaliseRecoveryCode,
  openKeyStore,
  openSealedHeader,
  openSealedRecord,
  registrationProof,
  toBase64,
  toHex0x,
  unwrapKeyBackup,
} from '../crypto/index.js';

const API_BASE = '/api/v1';
const ACCEPT = 'application/json, application/problem+json;q=0.9';
const PUBLIC_KEY_BYTES = 65;
const PATIENT_KEY_BYTES = 32;
/** The file part's name on the wire: the real file name travels only inside the sealed header. */
const SEALED_CONTENT_FILE_NAME = 'sealed.bin';

/**
 * A request that failed: the HTTP status (0 when there was no answer or the failure is local) and
 * the stable code of the problem+json body, or a local code:
 *   NETWORK_ERROR   no answer
 *   NOT_A_PATIENT   the claim code belongs to someone else than a patient
 *   NO_LOCAL_KEYS   this key store has no keys for the patient (restore them with the recovery code)
 *   KEYS_MISMATCH   the service's registered keys are not the ones in this key store
 */
export class PatientClientError extends Error {
  /** @param {{ status: number, code: string, detail?: string }} fields */
  constructor({ status, code, detail = '' }) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'PatientClientError';
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

/**
 * @typedef {import('../crypto/patient-keys.js').KeyStore} KeyStore
 * @typedef {import('../crypto/patient-keys.js').StoredPatientKeys} StoredPatientKeys
 * @typedef {typeof globalThis.fetch} Fetch
 * @typedef {{ baseUrl: string, token: string, keyStore?: KeyStore, patientId?: string, fetch?: Fetch,
 *   trustedServiceKeys?: readonly Uint8Array[] }} PatientClientOptions
 * @typedef {'supchain' | 'medchain'} ChainName
 */

/**
 * @param {string} baseUrl the service's origin; '' in the page means the page's own
 * @param {string} path below /api/v1
 * @param {Record<string, string | number | null | undefined>} [query]
 */
function apiUrl(baseUrl, path, query = {}) {
  const origin = baseUrl || globalThis.location?.origin || '';
  const url = new URL(`${origin.replace(/\/+$/, '')}${API_BASE}${path}`);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
  }
  return url.toString();
}

/**
 * @param {Fetch} fetcher
 * @param {string} url
 * @param {RequestInit} init
 */
async function send(fetcher, url, init) {
  let response;
  try {
    response = await fetcher(url, init);
  } catch {
    throw new PatientClientError({ status: 0, code: 'NETWORK_ERROR' });
  }
  if (!response.ok) {
    /** @type {any} */
    let problem = {};
    try {
      problem = JSON.parse(await response.text()) ?? {};
    } catch {
      problem = {};
    }
    const code =
      typeof problem.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(problem.code)
        ? problem.code
        : `HTTP_${response.status}`;
    throw new PatientClientError({
      status: response.status,
      code,
      detail: typeof problem.detail === 'string' ? problem.detail : '',
    });
  }
  return response.status === 204 ? null : response.json();
}

export class PatientClient {
  /** @param {PatientClientOptions} options */
  constructor({ baseUrl, token, keyStore, patientId, fetch, trustedServiceKeys }) {
    this.baseUrl = baseUrl;
    this.token = token;
    /** @type {string | null} */
    this.patientId = patientId ?? null;
    /** @private @type {Fetch} */
    this.fetcher = fetch ?? ((input, init) => globalThis.fetch(input, init));
    /** @private @type {Promise<KeyStore> | null} */
    this.keyStorePromise = keyStore ? Promise.resolve(keyStore) : null;
    /** @private */
    this.trustedServiceKeys = trustedServiceKeys;
  }

  /**
   * POST /claims: a claim code for the patient's own token; a client signed in with it.
   * @param {string} code the claim code, as handed over
   * @param {Omit<PatientClientOptions, 'token' | 'patientId'>} options
   */
  static async claim(code, options) {
    const fetcher = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const claimed = await send(fetcher, apiUrl(options.baseUrl, '/claims'), {
      method: 'POST',
      headers: { Accept: ACCEPT, 'Content-Type': 'application/json' },
      body: JSON.stringify({ claimCode: code }),
    });
    if (claimed?.role !== 'patient') {
      throw new PatientClientError({ status: 0, code: 'NOT_A_PATIENT', detail: 'The claim code is not a patient’s.' });
    }
    return new PatientClient({ ...options, token: claimed.token, patientId: claimed.id });
  }

  /**
   * @private
   * @param {string} path
   * @param {{ method?: string, query?: Record<string, string | number | null | undefined>, json?: unknown,
   *   body?: FormData }} [options]
   */
  request(path, { method = 'GET', query, json, body } = {}) {
    /** @type {Record<string, string>} */
    const headers = { Accept: ACCEPT, Authorization: `Bearer ${this.token}` };
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    return send(this.fetcher, apiUrl(this.baseUrl, path, query), {
      method,
      headers,
      body: json !== undefined ? JSON.stringify(json) : body,
    });
  }

  /** @private */
  keyStore() {
    this.keyStorePromise ??= openKeyStore();
    return this.keyStorePromise;
  }

  /** GET /me; remembers the patient's id. */
  async me() {
    const me = await this.request('/me');
    if (typeof me?.id === 'string') this.patientId = me.id;
    return me;
  }

  /** @private */
  async ownId() {
    if (this.patientId === null) await this.me();
    return /** @type {string} */ (this.patientId);
  }

  /** @private */
  async patientPath() {
    return `/patients/${encodeURIComponent(await this.ownId())}`;
  }

  /**
   * The patient's keys in this client's key store; NO_LOCAL_KEYS when there are none.
   * @returns {Promise<StoredPatientKeys>}
   */
  async localKeys() {
    const stored = await (await this.keyStore()).get(await this.ownId());
    if (!stored) {
      throw new PatientClientError({
        status: 0,
        code: 'NO_LOCAL_KEYS',
        detail: 'No keys for this patient here: restore them with the recovery code.',
      });
    }
    return stored;
  }

  /**
   * New key pairs, registered (POST /me/keys with the proof and the backup) and then stored. The
   * recovery code is returned once and never kept: show it to the patient. `stored` is false if
   * the key store refused the keys after the service registered them (the recovery code still
   * restores them).
   */
  async registerKeys() {
    const patientId = await this.ownId();
    const { keys, backup, recoveryCode } = await createPatientKeys();
    const proof = await registrationProof(
      keys.signing.privateKey,
      patientId,
      keys.encryption.publicKey,
      keys.signing.publicKey,
    );
    const registered = await this.request('/me/keys', {
      method: 'POST',
      json: {
        encryptionPublicKey: toHex0x(keys.encryption.publicKey),
        signingPublicKey: toHex0x(keys.signing.publicKey),
        proof: toHex0x(proof),
        backup: toBase64(backup),
      },
    });
    let stored = true;
    try {
      await (await this.keyStore()).put({ patientId, ...keys, storedAt: new Date().toISOString() });
    } catch {
      stored = false;
    }
    return {
      recoveryCode,
      stored,
      registeredAt: registered?.registeredAt,
      rewrapped: registered?.rewrapped,
    };
  }

  /**
   * GET /me/key-backup, opened with the recovery code, stored in this client's key store.
   * WebCryptoError MALFORMED for a text that is not a recovery code, DECRYPTION_FAILED for a wrong
   * one; nothing is stored then.
   * @param {string} recoveryCode
   */
  async restoreKeys(recoveryCode) {
    // A typing mistake is found here, before asking the service for anything.
    normaliseRecoveryCode(recoveryCode);
    const patientId = await this.ownId();
    const answer = await this.request('/me/key-backup');
    const encryptionPublicKey = fromHex0x(answer.encryptionPublicKey, PUBLIC_KEY_BYTES);
    const signingPublicKey = fromHex0x(answer.signingPublicKey, PUBLIC_KEY_BYTES);
    const keys = await unwrapKeyBackup({
      recoveryCode,
      backup: fromBase64(answer.backup),
      encryptionPublicKey,
      signingPublicKey,
    });
    await (await this.keyStore()).put({ patientId, ...keys, storedAt: new Date().toISOString() });
    return { encryptionPublicKey: answer.encryptionPublicKey, signingPublicKey: answer.signingPublicKey };
  }

  /**
   * GET /patients/{id}/sealed-records: a page of SealedRecords without content, newest first.
   * @param {{ chain?: string, limit?: number, cursor?: string }} [query]
   */
  async listSealed({ chain, limit, cursor } = {}) {
    return this.request(`${await this.patientPath()}/sealed-records`, { query: { chain, limit, cursor } });
  }

  /**
   * The header of a listed record, verified and decrypted here (for names, types and sizes).
   * @param {any} sealed an item of listSealed
   */
  async openHeader(sealed) {
    return openSealedHeader(sealed, await this.localKeys(), { trustedServiceKeys: this.trustedServiceKeys });
  }

  /**
   * GET /patients/{id}/sealed-records/{recordId}, verified and decrypted here.
   * @param {string} recordId 0x + 64 hex
   * @param {{ chain?: string }} [query]
   */
  async readSealed(recordId, { chain } = {}) {
    const path = `${await this.patientPath()}/sealed-records/${encodeURIComponent(recordId)}`;
    const sealed = await this.request(path, { query: { chain } });
    const { header, bytes } = await openSealedRecord(sealed, await this.localKeys(), {
      trustedServiceKeys: this.trustedServiceKeys,
    });
    return { header, bytes, sealed };
  }

  /**
   * The patient's own upload: recipients for the chain, the record sealed and signed here, a
   * multipart POST to /patients/{id}/sealed-records. Answers as the service does (201, or 202 for
   * `both` with a ledger down).
   * @param {{ bytes: Uint8Array, fileName: string, contentType: string, chain: 'supchain' | 'medchain' | 'both' }} input
   */
  async upload({ bytes, fileName, contentType, chain }) {
    const patientId = await this.ownId();
    const keys = await this.localKeys();
    const path = await this.patientPath();
    const answer = await this.request(`${path}/recipients`, { query: { chain } });
    const recipients = Array.isArray(answer?.recipients) ? answer.recipients : [];
    const publicKeys = recipients.map((/** @type {any} */ recipient) =>
      fromHex0x(recipient.publicKey, PUBLIC_KEY_BYTES),
    );
    // Seal to the patient's own key first, or not at all: the service must not swap it.
    if (recipients[0]?.role !== 'patient' || !bytesEqual(publicKeys[0], keys.encryption.publicKey)) {
      throw new PatientClientError({
        status: 0,
        code: 'KEYS_MISMATCH',
        detail: 'The service’s registered encryption key is not the one in this key store.',
      });
    }
    /** @type {ChainName[]} */
    const chains = chain === 'both' ? ['supchain', 'medchain'] : [chain];
    const built = await buildSealedUpload({
      bytes,
      fileName,
      contentType,
      patientId,
      patientKey: fromHex0x(answer.patientKey, PATIENT_KEY_BYTES),
      chains,
      recipients: publicKeys,
      signingKey: keys.signing.privateKey,
    });
    const form = new FormData();
    // Text fields before the file: the server sees every field by the time the file streams in.
    form.append('chain', chain);
    form.append('recordId', toHex0x(built.recordId));
    form.append('sealedHeader', toBase64(built.sealedHeader));
    form.append('keyEnvelope', toBase64(built.keyEnvelope));
    form.append('recipients', JSON.stringify(recipients.map((/** @type {any} */ recipient) => recipient.publicKey)));
    form.append(
      'signatures',
      JSON.stringify(Object.fromEntries(Object.entries(built.signatures).map(([name, sig]) => [name, toHex0x(sig)]))),
    );
    form.append(
      'content',
      new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (built.content)], { type: 'application/octet-stream' }),
      SEALED_CONTENT_FILE_NAME,
    );
    return this.request(`${path}/sealed-records`, { method: 'POST', body: form });
  }
}
