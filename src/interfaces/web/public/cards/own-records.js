// @ts-check
/**
 * A patient's own records through the sealed endpoints (issue 13, spec §7): the service hands
 * over ciphertext and this page verifies and decrypts it with the keys this browser holds. The
 * retrieve card and its history use this for a signed-in patient; providers read as before.
 */

import { accessPath, api, ApiError, sealedRecordsPath } from '../api.js';
import { resolveEpochKeys } from '../crypto/epochs.js';
import { openSealedHeader, openSealedRecord } from '../crypto/sealed-record.js';
import { identity } from '../identity.js';
import { bytesBlob, fromBase64, fromHex0x } from '../wire.js';
import { ownKeys } from './keys.js';

/**
 * @typedef {import('./record-meta.js').RecordMeta} RecordMeta
 * @typedef {{ recordId: string, chain: string, version: number, createdAt: string, transactions?: string[],
 *   blockNumber?: number | null, [field: string]: unknown }} SealedRecord  GET …/sealed-records item (spec §7)
 * @typedef {{ fileName?: string, contentType?: string, size?: number, uploader?: string }} SealedHeader
 */

/** What a read that failed in the page says: the same as the service's 422 for a record that fails its checks. */
const INTEGRITY = () => new ApiError({ status: 422, code: 'INTEGRITY_CHECK_FAILED' });

function keys() {
  const held = ownKeys();
  // The cards that call this are hidden until the keys are here; reaching it without them is a bug.
  if (!held) throw new ApiError({ status: 409, code: 'KEYS_NOT_REGISTERED' });
  return held;
}

/**
 * @typedef {NonNullable<ReturnType<typeof ownKeys>>} HeldKeys
 * @typedef {import('../crypto/epochs.js').EpochKey} EpochKey
 */

/**
 * The patient's epoch keys (issue 14), opened here from their own slots (GET …/epochs), newest
 * first; kept for the page's life per patient and fetched again when a record opens with none
 * of them (a revoke may have started an epoch since). The private halves are non-extractable.
 * @type {{ patientId: string, keys: Promise<EpochKey[]> } | null}
 */
let epochCache = null;

/** @param {string} patientId @param {HeldKeys} held @param {boolean} fresh */
function epochKeys(patientId, held, fresh) {
  if (fresh || epochCache?.patientId !== patientId) {
    const keys = loadEpochKeys(patientId, held);
    epochCache = { patientId, keys };
    keys.catch(() => {
      if (epochCache?.keys === keys) epochCache = null;
    });
  }
  return /** @type {{ keys: Promise<EpochKey[]> }} */ (epochCache).keys;
}

/** @param {string} patientId @param {HeldKeys} held */
async function loadEpochKeys(patientId, held) {
  const { data } = await api(accessPath(patientId, 'epochs'));
  const epochs = (Array.isArray(data) ? data : []).map((/** @type {any} */ epoch) => ({
    index: Number(epoch.index),
    publicKey: fromHex0x(String(epoch.publicKey)),
    slots: (Array.isArray(epoch.slots) ? epoch.slots : []).map((/** @type {string} */ slot) => fromBase64(slot)),
  }));
  const patientKey = identity.me?.patientKey;
  if (!patientKey) return [];
  return resolveEpochKeys({ epochs, recipient: held.encryption, patientKey: fromHex0x(patientKey) });
}

/**
 * `open` with the patient's own encryption key, then (a record sealed to an epoch key since issue
 * 14: a provider's upload) with each of their epoch keys, newest first. The signing key stays the
 * patient's, so their own uploads are still recognised. The first error stands if nothing opens.
 * @template T
 * @param {string} patientId
 * @param {(keys: HeldKeys & { epochKeys: EpochKey[] }) => Promise<T>} open
 * @returns {Promise<T>}
 */
async function openWithAnyKey(patientId, open) {
  const held = keys();
  // One open tries the patient's own key and every epoch key they hold (one signature check and one
  // digest whatever key opens it); the epoch keys are looked up again once if none does.
  try {
    return await open({ ...held, epochKeys: await epochKeys(patientId, held, false) });
  } catch (error) {
    if (/** @type {{ code?: string }} */ (error)?.code !== 'NO_SLOT') throw error;
    return await open({ ...held, epochKeys: await epochKeys(patientId, held, true) });
  }
}

/** @param {SealedRecord} sealed @param {SealedHeader | null} header @returns {RecordMeta} */
function metaOf(sealed, header) {
  return {
    recordId: sealed.recordId,
    chain: sealed.chain,
    version: sealed.version,
    createdAt: sealed.createdAt,
    transactions: Array.isArray(sealed.transactions) ? sealed.transactions : [],
    blockNumber: sealed.blockNumber ?? null,
    ...(header
      ? { fileName: header.fileName, contentType: header.contentType, size: header.size, uploader: header.uploader }
      : {}),
  };
}

/**
 * One page of the history, newest first, each header opened here for its name, type and size
 * (a header that does not open leaves those blank: opening the record says why).
 * @param {string} patientId
 * @param {{ chain: string, limit: number, cursor?: string | null, signal?: AbortSignal }} page
 * @returns {Promise<{ items: RecordMeta[], nextCursor: string | null }>}
 */
export async function listOwnRecords(patientId, { chain, limit, cursor, signal }) {
  const { data } = await api(sealedRecordsPath(patientId), { query: { chain, limit, cursor }, signal });
  /** @type {SealedRecord[]} */
  const sealed = Array.isArray(data?.items) ? data.items : [];
  const items = await Promise.all(
    sealed.map(async (record) => {
      /** @type {SealedHeader | null} */
      let header = null;
      try {
        header = await openWithAnyKey(patientId, (held) => openSealedHeader(record, held));
      } catch {
        header = null;
      }
      return metaOf(record, header);
    }),
  );
  return { items, nextCursor: data?.nextCursor ?? null };
}

/**
 * One record, verified and decrypted here: its metadata (from its own header) and its bytes.
 * @param {string} patientId
 * @param {string} recordId
 * @param {{ chain: string, signal?: AbortSignal }} options
 * @returns {Promise<{ meta: RecordMeta, blob: Blob }>}
 */
export async function readOwnRecord(patientId, recordId, { chain, signal }) {
  const { data } = await api(sealedRecordsPath(patientId, `/${encodeURIComponent(recordId)}`), {
    query: { chain },
    signal,
  });
  // The ciphertext comes as bytes, from the ledger and record the answer named (`recordId` may be `latest`).
  const { data: content } = await api(sealedRecordsPath(patientId, `/${encodeURIComponent(data.recordId)}/content`), {
    query: { chain: data.chain },
    signal,
    as: 'blob',
  });
  let opened;
  try {
    const bytes = new Uint8Array(await /** @type {Blob} */ (content).arrayBuffer());
    opened = await openWithAnyKey(patientId, (held) => openSealedRecord({ ...data, content: bytes }, held));
  } catch {
    // A bad signature, a hash or length that does not match, or no slot for this patient's own
    // key or epoch keys: all the same to the patient, who is a known recipient of every record of theirs.
    throw INTEGRITY();
  }
  const header = /** @type {SealedHeader} */ (opened.header);
  const bytes = /** @type {Uint8Array} */ (opened.bytes);
  const blob = bytesBlob(bytes, header.contentType ?? 'application/octet-stream');
  return { meta: metaOf(data, header), blob };
}

/** Pages of the history looked through to name the records an access log mentions (100 records each). */
const NAME_PAGE_LIMIT = 100;
const MAX_NAME_PAGES = 5;

/**
 * "scan.png (version 2)" for records of this patient, named from their headers opened here (the
 * service cannot name them). Looks through each ledger's history, newest first, until every
 * record asked for is found or MAX_NAME_PAGES pages were read. Null when the keys are not in
 * this browser yet (try again later); a record not found or not opening is left out.
 * @param {string} patientId
 * @param {{ chain: string, recordId: string }[]} wanted
 * @returns {Promise<Map<string, string> | null>} "chain:recordId" → name
 */
export async function nameOwnRecords(patientId, wanted) {
  const held = ownKeys();
  if (!held) return null;
  /** @type {Map<string, string>} */
  const names = new Map();
  const chains = [...new Set(wanted.map((w) => w.chain))];
  await Promise.all(
    chains.map(async (chain) => {
      const missing = new Set(wanted.filter((w) => w.chain === chain).map((w) => w.recordId));
      /** @type {string | null} */
      let cursor = null;
      for (let page = 0; page < MAX_NAME_PAGES && missing.size > 0; page += 1) {
        const { data } = await api(sealedRecordsPath(patientId), { query: { chain, limit: NAME_PAGE_LIMIT, cursor } });
        /** @type {SealedRecord[]} */
        const items = Array.isArray(data?.items) ? data.items : [];
        for (const record of items.filter((item) => missing.has(item.recordId))) {
          missing.delete(record.recordId);
          try {
            const header = /** @type {SealedHeader} */ (
              await openWithAnyKey(patientId, (readerKeys) => openSealedHeader(record, readerKeys))
            );
            names.set(`${chain}:${record.recordId}`, `${header.fileName ?? 'a record'} (version ${record.version})`);
          } catch {
            /* shown by its id: opening the record says why */
          }
        }
        cursor = data?.nextCursor ?? null;
        if (!cursor) break;
      }
    }),
  );
  return names;
}
