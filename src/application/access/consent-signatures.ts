import { ChainName } from '../../domain/chain-name';
import { SIGNATURE_PART_BYTES } from '../../domain/consent-message';
import { ConsentSignatureInvalidError, ValidationFailedError } from '../../domain/errors';
import { P256_PUBLIC_KEY_BYTES, parseBase64, parseHexBytes } from '../../domain/patient-keys';
import { EpochData, MAX_EPOCH_SLOT_BYTES, SignedChange } from '../../domain/ports/access-ledger.port';

/** Most slots one epoch may be given in a request (the patient and the providers still consented). */
export const MAX_EPOCH_SLOTS = 256;
const UINT64_MAX = (1n << 64n) - 1n;
const DECIMAL = /^(0|[1-9][0-9]{0,19})$/;

/**
 * `{ "<chain>": { nonce: "<decimal>", r: "0x…32 bytes", s: "0x…32 bytes" } }`, one signature for
 * each of `chains` (chain id and registry are inside the signed message, so one per ledger).
 * ConsentSignatureInvalidError for a ledger without one; ValidationFailedError for a bad shape.
 */
export function parseConsentSignatures(raw: unknown, chains: readonly ChainName[]): Map<ChainName, SignedChange> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationFailedError('signatures must be an object with one signature per ledger.', 'signatures');
  }
  const signatures = new Map<ChainName, SignedChange>();
  for (const chain of chains) {
    const entry = (raw as Record<string, unknown>)[chain];
    if (entry === undefined) throw new ConsentSignatureInvalidError(`No signature for ${chain}.`);
    if (typeof entry !== 'object' || entry === null) {
      throw new ValidationFailedError(`signatures.${chain} must be { nonce, r, s }.`, 'signatures');
    }
    const { nonce, r, s } = entry as Record<string, unknown>;
    if (typeof nonce !== 'string' || !DECIMAL.test(nonce) || BigInt(nonce) > UINT64_MAX) {
      throw new ValidationFailedError(`signatures.${chain}.nonce must be a decimal string (uint64).`, 'signatures');
    }
    signatures.set(chain, {
      nonce: BigInt(nonce),
      r: parseHexBytes(r, SIGNATURE_PART_BYTES, 'signatures'),
      s: parseHexBytes(s, SIGNATURE_PART_BYTES, 'signatures'),
    });
  }
  return signatures;
}

/** One epoch slot, base64 (a 115-byte one-slot envelope in practice). */
export function parseEpochSlot(raw: unknown, field = 'epochSlot'): Uint8Array {
  return parseBase64(raw, MAX_EPOCH_SLOT_BYTES, field);
}

/** `{ publicKey: "0x…65 bytes", slots: [base64, …] }` (at least one slot). */
export function parseEpochData(raw: unknown): EpochData {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationFailedError('epoch must be { publicKey, slots }.', 'epoch');
  }
  const { publicKey, slots } = raw as Record<string, unknown>;
  if (!Array.isArray(slots) || slots.length === 0 || slots.length > MAX_EPOCH_SLOTS) {
    throw new ValidationFailedError(`epoch.slots must be 1 to ${MAX_EPOCH_SLOTS} base64 slots.`, 'epoch');
  }
  return {
    publicKey: parseHexBytes(publicKey, P256_PUBLIC_KEY_BYTES, 'epoch'),
    slots: slots.map((slot) => parseEpochSlot(slot, 'epoch')),
  };
}
