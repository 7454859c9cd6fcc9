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
  CONSENT_ACTION,
  createEpoch,
  createPatientKeys,
  decodeConsentMessage,
  fromBase64,
  fromHex0x,
  generateP256KeyPair,
  grantDataHash,
  normaliseRecoveryCode,
  openEpochSlot,
  openKeyStore,
  openSealedHeader,
  openSealedRecord,
  registrationProof,
  replaceKeyDataHash,
  resolveEpochKeys,
  revokeDataHash,
  sealEpochSlot,
  signConsent,
  signingKeyCoordinates,
  toBase64,
  toHex0x,
  unwrapKeyBackup,
  verifyConsentSignature,
  wrapKeyBackup,
  WebCryptoError,
} from '../crypto/index.js';

const API_BASE = '/api/v1';
const ACCEPT = 'application/json, application/problem+json;q=0.9';
const PUBLIC_KEY_BYTES = 65;
const PATIENT_KEY_BYTES = 32;
const SECOND_MS = 1000;
/** The file part's name on the wire: the real file name travels only inside the sealed header. */
const SEALED_CONTENT_FILE_NAME = 'sealed.bin';

/**
 * A request that failed: the HTTP status (0 when there was no answer or the failure is local) and
 * the stable code of the problem+json body, or a local code:
 *   NETWORK_ERROR   no answer
 *   NOT_A_PATIENT   the claim code belongs to someone else than a patient
 *   NO_LOCAL_KEYS   this key store has no keys for the patient (restore them with the recovery code)
 *   KEYS_MISMATCH   the service's registered keys are not the ones in this key store
 *   NO_EPOCH_SLOT   no slot of the current epoch opens with this patient's key (issue 14)
 *   BAD_CONTEXT     the consent context the service answered lacks what the change needs
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
async function send(fetcher, url, init, as = 'json') {
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
  if (response.status === 204) return null;
  return as === 'bytes' ? new Uint8Array(await response.arrayBuffer()) : response.json();
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
    /** @private @type {Uint8Array | null} */
    this.patientKeyBytes = null;
    /** @private @type {Promise<import('../crypto/epochs.js').EpochKey[]> | null} */
    this.epochKeysPromise = null;
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
   *   body?: FormData, as?: 'json' | 'bytes' }} [options]
   */
  request(path, { method = 'GET', query, json, body, as = 'json' } = {}) {
    /** @type {Record<string, string>} */
    const headers = {
      Accept: as === 'bytes' ? 'application/octet-stream, application/problem+json' : ACCEPT,
      Authorization: `Bearer ${this.token}`,
    };
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    return send(
      this.fetcher,
      apiUrl(this.baseUrl, path, query),
      { method, headers, body: json !== undefined ? JSON.stringify(json) : body },
      as,
    );
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
    if (typeof me?.patientKey === 'string') this.patientKeyBytes = fromHex0x(me.patientKey, PATIENT_KEY_BYTES);
    return me;
  }

  /** @private */
  async ownId() {
    if (this.patientId === null) await this.me();
    return /** @type {string} */ (this.patientId);
  }

  /**
   * The patient's pseudonym (GET /me), which every record aad, epoch aad and consent message carries.
   * @private
   */
  async ownPatientKey() {
    if (this.patientKeyBytes === null) await this.me();
    if (this.patientKeyBytes === null) {
      throw new PatientClientError({ status: 0, code: 'BAD_CONTEXT', detail: 'GET /me answered no patientKey.' });
    }
    return this.patientKeyBytes;
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
    const patientKey = await this.ownPatientKey();
    const { keys, backup, recoveryCode } = await createPatientKeys();
    // Epoch 0 (issue 14): a key pair made here, its private half sealed to the patient alone.
    const epoch = await createEpoch({ patientKey, index: 0, recipientPublicKeys: [keys.encryption.publicKey] });
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
        epoch: { publicKey: toHex0x(epoch.publicKey), slots: epoch.slots.map(toBase64) },
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
    // Signing keys replaced before (issue 14): the patient's uploads signed with them still verify here.
    const former = Array.isArray(answer.formerSigningKeys) ? answer.formerSigningKeys : [];
    const formerSigningPublicKeys = former.map((/** @type {string} */ key) => fromHex0x(key, PUBLIC_KEY_BYTES));
    await (
      await this.keyStore()
    ).put({ patientId, ...keys, formerSigningPublicKeys, storedAt: new Date().toISOString() });
    return { encryptionPublicKey: answer.encryptionPublicKey, signingPublicKey: answer.signingPublicKey };
  }

  /**
   * Replaces the patient's signing key (issue 14): a new ECDSA pair made here; the backup (GET
   * /me/key-backup) opened with the recovery code and both private keys re-wrapped under it with
   * the new signing key; the replacement signed with the CURRENT key for each ledger (chain id,
   * registry and nonce from GET …/consent-context) and sent with the new backup to POST
   * /me/keys/signing. Only once the service answered are the new keys stored here, the replaced
   * public key kept so the patient's earlier uploads still verify. KEYS_MISMATCH when the
   * service's registered keys are not this key store's; WebCryptoError MALFORMED or
   * DECRYPTION_FAILED for a wrong recovery code (nothing sent then).
   * @param {string} recoveryCode
   */
  async replaceSigningKey(recoveryCode) {
    normaliseRecoveryCode(recoveryCode);
    const patientId = await this.ownId();
    const patientKey = await this.ownPatientKey();
    const keys = await this.localKeys();
    const registered = await this.request('/me/key-backup');
    const encryptionPublicKey = fromHex0x(registered.encryptionPublicKey, PUBLIC_KEY_BYTES);
    const signingPublicKey = fromHex0x(registered.signingPublicKey, PUBLIC_KEY_BYTES);
    if (
      !bytesEqual(encryptionPublicKey, keys.encryption.publicKey) ||
      !bytesEqual(signingPublicKey, keys.signing.publicKey)
    ) {
      throw new PatientClientError({
        status: 0,
        code: 'KEYS_MISMATCH',
        detail: 'The service’s registered keys are not the ones in this key store.',
      });
    }
    // Extractable only between these lines: exported once more, into the new backup.
    const opened = await unwrapKeyBackup(
      { recoveryCode, backup: fromBase64(registered.backup), encryptionPublicKey, signingPublicKey },
      { extractable: true },
    );
    const signing = await generateP256KeyPair('ECDSA', true);
    const backup = await wrapKeyBackup({ recoveryCode, encryption: opened.encryption, signing });
    // The keys kept are unwrapped from the new backup: non-extractable, and the backup known to open.
    const fresh = await unwrapKeyBackup({
      recoveryCode,
      backup,
      encryptionPublicKey,
      signingPublicKey: signing.publicKey,
    });
    const { x, y } = await signingKeyCoordinates(fresh.signing.publicKey);
    const context = await this.request(`${await this.patientPath()}/consent-context`);
    if (!Array.isArray(context?.ledgers) || context.ledgers.length === 0) {
      throw new PatientClientError({ status: 0, code: 'BAD_CONTEXT', detail: 'The consent context names no ledger.' });
    }
    const signatures = await this.signForLedgers(context.ledgers, keys, {
      action: CONSENT_ACTION.REPLACE_KEY,
      patientKey,
      providerKey: new Uint8Array(PATIENT_KEY_BYTES),
      expiresAt: 0n,
      dataHash: await replaceKeyDataHash(x, y),
    });
    const replaced = await this.request('/me/keys/signing', {
      method: 'POST',
      json: { signingPublicKey: toHex0x(fresh.signing.publicKey), signatures, backup: toBase64(backup) },
    });
    const store = await this.keyStore();
    await store.put({
      patientId,
      ...fresh,
      formerSigningPublicKeys: [...(keys.formerSigningPublicKeys ?? []), keys.signing.publicKey],
      storedAt: new Date().toISOString(),
    });
    return { signingPublicKey: replaced?.signingPublicKey, formerSigningKeys: replaced?.formerSigningKeys };
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
    const keys = await this.localKeys();
    return this.withEpochKeys(keys, (readerKeys) =>
      openSealedHeader(sealed, readerKeys, { trustedServiceKeys: this.trustedServiceKeys }),
    );
  }

  /**
   * `open` with the patient's own key, then (a record sealed to an epoch key: providers' uploads
   * since issue 14) with each epoch key the patient holds a slot of, newest first. The epoch keys
   * are looked up once per client and again when none opens (an epoch may have begun since).
   * @private
   * @template T
   * @param {StoredPatientKeys} keys
   * @param {(readerKeys: StoredPatientKeys) => Promise<T>} open
   * @returns {Promise<T>}
   */
  async withEpochKeys(keys, open) {
    try {
      return await open(keys);
    } catch (error) {
      if (!(error instanceof WebCryptoError) || error.code !== 'NO_SLOT') throw error;
    }
    for (const fresh of [false, true]) {
      if (fresh) this.epochKeysPromise = null;
      for (const epochKey of await this.epochKeys(keys)) {
        try {
          return await open({
            ...keys,
            encryption: { publicKey: epochKey.publicKey, privateKey: epochKey.privateKey },
          });
        } catch (error) {
          if (!(error instanceof WebCryptoError) || error.code !== 'NO_SLOT') throw error;
        }
      }
    }
    throw new WebCryptoError('NO_SLOT', 'The record is not sealed to this patient’s key or any of their epochs.');
  }

  /**
   * GET /patients/{id}/epochs, each epoch's slots trial-opened with the patient's key.
   * @private
   * @param {StoredPatientKeys} keys
   */
  async epochKeys(keys) {
    this.epochKeysPromise ??= (async () => {
      const patientKey = await this.ownPatientKey();
      const epochs = await this.request(`${await this.patientPath()}/epochs`);
      return resolveEpochKeys({
        epochs: (Array.isArray(epochs) ? epochs : []).map((/** @type {any} */ epoch) => ({
          index: epoch.index,
          publicKey: fromHex0x(epoch.publicKey, PUBLIC_KEY_BYTES),
          slots: epoch.slots.map((/** @type {string} */ slot) => fromBase64(slot)),
        })),
        recipient: keys.encryption,
        patientKey,
      });
    })().catch((error) => {
      this.epochKeysPromise = null;
      throw error;
    });
    return this.epochKeysPromise;
  }

  /**
   * GET /patients/{id}/sealed-records/{recordId} and its …/content (the ciphertext as bytes, from the
   * ledger the record was read from), verified and decrypted here.
   * @param {string} recordId 0x + 64 hex, or `latest`
   * @param {{ chain?: string }} [query]
   */
  async readSealed(recordId, { chain } = {}) {
    const records = `${await this.patientPath()}/sealed-records`;
    const described = await this.request(`${records}/${encodeURIComponent(recordId)}`, { query: { chain } });
    const content = await this.request(`${records}/${encodeURIComponent(described.recordId)}/content`, {
      query: { chain: described.chain },
      as: 'bytes',
    });
    const sealed = { ...described, content };
    const { header, bytes } = await this.withEpochKeys(await this.localKeys(), (readerKeys) =>
      openSealedRecord(sealed, readerKeys, { trustedServiceKeys: this.trustedServiceKeys }),
    );
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

  /**
   * Grants a provider consent (issue 14): from GET …/consent-context, the current epoch's private
   * key (opened from the patient's own slot) is sealed to the provider, and the grant is signed
   * here for each ledger (its chain id, registry and nonce are in the message); the service only
   * relays. `expiresAt` (ISO-8601 or Date) is kept to whole seconds, as the ledgers keep it.
   * @param {string} providerId
   * @param {{ expiresAt?: string | Date | null }} [options]
   */
  async grantConsent(providerId, { expiresAt = null } = {}) {
    const keys = await this.localKeys();
    const path = await this.patientPath();
    const context = await this.request(`${path}/consent-context`, { query: { providerId } });
    const { patientKey, provider } = this.checkedContext(context);
    const expiry =
      expiresAt === null ? null : new Date(Math.floor(new Date(expiresAt).getTime() / SECOND_MS) * SECOND_MS);
    const scalar = await this.ownEpochScalar(context, keys, patientKey);
    let slot;
    try {
      slot = await sealEpochSlot({
        scalar,
        recipientPublicKey: provider.publicKey,
        patientKey,
        index: context.epoch.index,
      });
    } finally {
      scalar.fill(0);
    }
    const signatures = await this.signForLedgers(context.ledgers, keys, {
      action: CONSENT_ACTION.GRANT,
      patientKey,
      providerKey: provider.providerKey,
      expiresAt: expiry === null ? 0n : BigInt(expiry.getTime() / SECOND_MS),
      dataHash: await grantDataHash(slot),
    });
    return this.request(`${path}/consents`, {
      method: 'POST',
      json: {
        providerId,
        ...(expiry === null ? {} : { expiresAt: expiry.toISOString() }),
        epochSlot: toBase64(slot),
        signatures,
      },
    });
  }

  /**
   * Revokes a provider's consent (issue 14): a new epoch made here, its private key sealed to the
   * patient and to each provider still consented (GET …/consent-context), the revocation signed
   * for each ledger. Records sealed after it are closed to the revoked provider.
   * @param {string} providerId
   */
  async revokeConsent(providerId) {
    const keys = await this.localKeys();
    const path = await this.patientPath();
    const context = await this.request(`${path}/consent-context`, { query: { providerId } });
    const { patientKey, provider } = this.checkedContext(context);
    const remaining = (Array.isArray(context.consented) ? context.consented : [])
      .filter((/** @type {any} */ party) => party.id !== providerId)
      .map((/** @type {any} */ party) => fromHex0x(party.publicKey, PUBLIC_KEY_BYTES));
    const epoch = await createEpoch({
      patientKey,
      index: context.epoch.index + 1,
      recipientPublicKeys: [keys.encryption.publicKey, ...remaining],
    });
    const signatures = await this.signForLedgers(context.ledgers, keys, {
      action: CONSENT_ACTION.REVOKE,
      patientKey,
      providerKey: provider.providerKey,
      expiresAt: 0n,
      dataHash: await revokeDataHash(epoch.publicKey, epoch.slots),
    });
    this.epochKeysPromise = null;
    await this.request(`${path}/consents/${encodeURIComponent(providerId)}/revoke`, {
      method: 'POST',
      json: { epoch: { publicKey: toHex0x(epoch.publicKey), slots: epoch.slots.map(toBase64) }, signatures },
    });
  }

  /**
   * GET …/consents/history, each change checked here: `verified` is true only when the signature
   * verifies under this patient's own signing key (the one in this key store, not one the service
   * names) over the recorded message, and that message is about this patient.
   */
  async consentHistory() {
    const keys = await this.localKeys();
    const patientKey = await this.ownPatientKey();
    const history = await this.request(`${await this.patientPath()}/consents/history`);
    const changes = Array.isArray(history) ? history : [];
    return Promise.all(
      changes.map(async (/** @type {any} */ change) => {
        let verified = false;
        try {
          const message = fromHex0x(change.message);
          verified =
            bytesEqual(decodeConsentMessage(message).patientKey, patientKey) &&
            (await verifyConsentSignature(keys.signing.publicKey, message, change.r, change.s));
        } catch {
          verified = false;
        }
        return { ...change, verified };
      }),
    );
  }

  /**
   * The parts of a consent context a grant or revoke needs, as bytes; BAD_CONTEXT without them.
   * @private
   * @param {any} context
   */
  checkedContext(context) {
    if (!context?.provider || !context?.epoch || !Array.isArray(context?.ledgers) || context.ledgers.length === 0) {
      throw new PatientClientError({ status: 0, code: 'BAD_CONTEXT', detail: 'The consent context is incomplete.' });
    }
    return {
      patientKey: fromHex0x(context.patientKey, PATIENT_KEY_BYTES),
      provider: {
        publicKey: fromHex0x(context.provider.publicKey, PUBLIC_KEY_BYTES),
        providerKey: fromHex0x(context.provider.providerKey, PATIENT_KEY_BYTES),
      },
    };
  }

  /**
   * The current epoch's private scalar from the patient's own slot (the caller wipes it).
   * @private
   * @param {any} context
   * @param {StoredPatientKeys} keys
   * @param {Uint8Array} patientKey
   */
  async ownEpochScalar(context, keys, patientKey) {
    const publicKey = fromHex0x(context.epoch.publicKey, PUBLIC_KEY_BYTES);
    for (const slot of context.epoch.slots ?? []) {
      try {
        const opened = await openEpochSlot({
          slot: fromBase64(slot),
          recipient: keys.encryption,
          patientKey,
          index: context.epoch.index,
          publicKey,
        });
        return opened.scalar;
      } catch (error) {
        if (!(error instanceof WebCryptoError)) throw error;
      }
    }
    throw new PatientClientError({
      status: 0,
      code: 'NO_EPOCH_SLOT',
      detail: 'No slot of your current epoch opens with the keys here.',
    });
  }

  /**
   * One signature per ledger of the context: `{ "<chain>": { nonce, r, s } }`.
   * @private
   * @param {any[]} ledgers
   * @param {StoredPatientKeys} keys
   * @param {{ action: 1 | 2 | 3, patientKey: Uint8Array, providerKey: Uint8Array, expiresAt: bigint, dataHash: Uint8Array }} fields
   */
  async signForLedgers(ledgers, keys, fields) {
    /** @type {Record<string, { nonce: string, r: string, s: string }>} */
    const signatures = {};
    for (const ledger of ledgers) {
      const { r, s } = await signConsent(keys.signing.privateKey, {
        ...fields,
        chainId: BigInt(ledger.chainId),
        registry: ledger.registry,
        nonce: BigInt(ledger.nonce),
      });
      signatures[ledger.chain] = { nonce: String(ledger.nonce), r, s };
    }
    return signatures;
  }
}
