// @ts-check
/**
 * The patient's consent changes, built and signed in this page (issue 14): the service only
 * relays them, and each ledger's contract checks the signature against the patient's registered
 * signing key. Everything here works from GET …/consent-context (spec part B2):
 *
 *   { patientKey, provider: { id, publicKey, providerKey } | null,
 *     ledgers: [{ chain, chainId, registry, nonce }], epoch: { index, publicKey, slots }, consented: [{ id, publicKey }] }
 *
 * and answers the request bodies of POST …/consents and POST …/consents/{providerId}/revoke.
 * Epoch scalars live only inside one call and are wiped before it returns; the patient's own
 * private keys are the non-extractable CryptoKeys from this browser's key store.
 */

import {
  CONSENT_ACTION,
  decodeConsentMessage,
  grantDataHash,
  revokeDataHash,
  signConsent,
  verifyConsentSignature,
} from './crypto/consent.js';
import { createEpoch, openEpochSlot, sealEpochSlot } from './crypto/epochs.js';
import { fromBase64, fromHex0x, sameBytes, toBase64, toHex0x } from './wire.js';

/**
 * @typedef {{ privateKey: CryptoKey, publicKey: Uint8Array }} KeyPair
 * @typedef {{ encryption: KeyPair, signing: KeyPair }} PatientKeys
 * @typedef {{ chain: string, chainId: string, registry: string, nonce: string }} LedgerDomain
 * @typedef {{ id: string, publicKey: string, providerKey?: string }} Party
 * @typedef {{ patientKey: string, provider: Party | null, ledgers: LedgerDomain[],
 *   epoch: { index: number, publicKey: string, slots: string[] }, consented: Party[] }} ConsentContext
 * @typedef {{ nonce: string, r: string, s: string }} LedgerSignature
 * @typedef {{ chain: string, action: 'grant' | 'revoke', providerId: string | null, expiresAt: string | null,
 *   nonce: string, message: string, r: string, s: string, at: string, transaction: string | null }} ConsentChange
 *   GET …/consents/history, one item
 */

/**
 * A step of a consent change that failed in this page (not at the service): `reason` says which,
 * for the sentence the card shows.
 *   NO_KEYS          this browser does not hold the patient's keys
 *   NO_PROVIDER_KEY  the context named no provider (or no pseudonym for it)
 *   NO_OWN_SLOT      none of the current epoch's slots opens with this browser's key
 */
export class ConsentChangeError extends Error {
  /** @param {'NO_KEYS' | 'NO_PROVIDER_KEY' | 'NO_OWN_SLOT'} reason */
  constructor(reason) {
    super(reason);
    this.name = 'ConsentChangeError';
    this.reason = reason;
  }
}

const MS_PER_SECOND = 1000;

/** @param {ConsentContext} context */
function providerOf(context) {
  const provider = context.provider;
  if (!provider?.providerKey || !provider.publicKey) throw new ConsentChangeError('NO_PROVIDER_KEY');
  return { providerKey: fromHex0x(provider.providerKey), publicKey: fromHex0x(provider.publicKey) };
}

/**
 * One signature per ledger over the same change: chain id, registry and nonce differ per ledger.
 * @param {ConsentContext} context
 * @param {CryptoKey} signingKey
 * @param {{ action: 1 | 2, providerKey: Uint8Array, expiresAt: bigint, dataHash: Uint8Array }} change
 * @returns {Promise<Record<string, LedgerSignature>>}
 */
async function signForEachLedger(context, signingKey, change) {
  const patientKey = fromHex0x(context.patientKey);
  /** @type {Record<string, LedgerSignature>} */
  const signatures = {};
  for (const ledger of context.ledgers) {
    const { r, s } = await signConsent(signingKey, {
      chainId: BigInt(ledger.chainId),
      registry: ledger.registry,
      action: change.action,
      patientKey,
      providerKey: change.providerKey,
      expiresAt: change.expiresAt,
      nonce: BigInt(ledger.nonce),
      dataHash: change.dataHash,
    });
    signatures[ledger.chain] = { nonce: ledger.nonce, r, s };
  }
  return signatures;
}

/**
 * The body of POST …/consents: the current epoch's private key, taken from the patient's own slot
 * and sealed to the provider (the one slot this grant adds), and the signatures (action 1,
 * dataHash = SHA-256(slot)).
 * @param {ConsentContext} context fetched with ?providerId= the provider being granted
 * @param {PatientKeys} keys
 * @param {{ providerId: string, expiresAt?: string }} grant expiresAt: ISO, whole seconds
 */
export async function signedGrant(context, keys, { providerId, expiresAt }) {
  const { providerKey, publicKey: providerPublicKey } = providerOf(context);
  const patientKey = fromHex0x(context.patientKey);
  const { index } = context.epoch;
  const epochPublicKey = fromHex0x(context.epoch.publicKey);
  let scalar = null;
  for (const slot of context.epoch.slots) {
    try {
      // Trial opening: the patient's slot is the first at claim, but nothing needs it to be.
      ({ scalar } = await openEpochSlot({
        slot: fromBase64(slot),
        recipient: keys.encryption,
        patientKey,
        index,
        publicKey: epochPublicKey,
      }));
      break;
    } catch {
      // another recipient's slot
    }
  }
  if (!scalar) throw new ConsentChangeError('NO_OWN_SLOT');
  let epochSlot;
  try {
    epochSlot = await sealEpochSlot({ scalar, recipientPublicKey: providerPublicKey, patientKey, index });
  } finally {
    scalar.fill(0);
  }
  const seconds = expiresAt ? BigInt(Math.floor(new Date(expiresAt).getTime() / MS_PER_SECOND)) : 0n;
  const signatures = await signForEachLedger(context, keys.signing.privateKey, {
    action: CONSENT_ACTION.GRANT,
    providerKey,
    expiresAt: seconds,
    dataHash: await grantDataHash(epochSlot),
  });
  return {
    providerId,
    ...(expiresAt ? { expiresAt } : {}),
    epochSlot: toBase64(epochSlot),
    signatures,
  };
}

/**
 * The body of POST …/consents/{providerId}/revoke: a new epoch (index + 1) whose key pair is made
 * here and sealed to the patient and every other provider still consented — not to the revoked
 * one, so records sealed after this cannot be opened with anything it holds — and the signatures
 * (action 2, dataHash over the new epoch).
 * @param {ConsentContext} context fetched with ?providerId= the provider being revoked
 * @param {PatientKeys} keys
 * @param {string} providerId
 */
export async function signedRevoke(context, keys, providerId) {
  const { providerKey } = providerOf(context);
  const staying = context.consented.filter((party) => party.id !== providerId);
  const epoch = await createEpoch({
    patientKey: fromHex0x(context.patientKey),
    index: context.epoch.index + 1,
    recipientPublicKeys: [keys.encryption.publicKey, ...staying.map((party) => fromHex0x(party.publicKey))],
  });
  const signatures = await signForEachLedger(context, keys.signing.privateKey, {
    action: CONSENT_ACTION.REVOKE,
    providerKey,
    expiresAt: 0n,
    dataHash: await revokeDataHash(epoch.publicKey, epoch.slots),
  });
  return { epoch: { publicKey: toHex0x(epoch.publicKey), slots: epoch.slots.map(toBase64) }, signatures };
}

/**
 * Whether a change the ledger recorded is this patient's signature, checked here and not taken
 * from the service: the message must be a canonical consent message for this patient's pseudonym,
 * of the action and nonce the entry claims, and (r, s) must verify over it with the patient's own
 * registered signing key (low-S, as the contract requires). Never throws.
 * @param {ConsentChange} change
 * @param {{ signingPublicKey: string, patientKey: string }} patient
 */
export async function verifyChange(change, patient) {
  try {
    const message = fromHex0x(change.message);
    const fields = decodeConsentMessage(message);
    const action = change.action === 'grant' ? CONSENT_ACTION.GRANT : CONSENT_ACTION.REVOKE;
    if (fields.action !== action || String(fields.nonce) !== change.nonce) return false;
    if (!sameBytes(fields.patientKey, fromHex0x(patient.patientKey))) return false;
    return await verifyConsentSignature(fromHex0x(patient.signingPublicKey), message, change.r, change.s);
  } catch {
    return false;
  }
}
