import { EIP7825_TX_GAS_CAP } from './registry/chunk-plan';

/**
 * How an addRecordKeys batch becomes PatientAccessRegistry transactions: one whenever the batch
 * fits under the EIP-7825 per-transaction gas cap (94 envelopes of one v2 slot, 115 bytes each;
 * 4 of the largest, 4096 bytes), else as few as fit, in order.
 *
 * Gas of one entry, an upper bound from the gas schedule (Yellow Paper Appendix G):
 *   fixed       48,000   the record's list grows (a fresh length slot, 22,100), the envelope's own
 *                        length slot (22,100), the event, ABI decoding of the entry's 160-byte head
 *   per word    23,000   one fresh storage slot (22,100) per 32 bytes of envelope, and copying it
 *   calldata    16 per envelope byte (EIP-2028, every byte counted as non-zero)
 * and of one transaction 40,000 (21,000 base, the role check, the selector and array head).
 * Measured on PatientAccessRegistry (solc 0.8.37, optimizer 200 runs): 163,171 for one 115-byte
 * envelope, 138,805 for each further one, 2,953,298 for each further 4096-byte one.
 */
const GAS_PER_TRANSACTION = 40_000;
const GAS_PER_ENTRY = 48_000;
const GAS_PER_ENVELOPE_WORD = 23_000;
const GAS_PER_CALLDATA_BYTE = 16;
const WORD_BYTES = 32;

/**
 * What the upper bounds of one transaction may add up to: the adapter asks for 5/4 of
 * eth_estimateGas, and that must stay within the cap.
 */
export const RECORD_KEYS_TX_GAS_BUDGET = Math.floor((EIP7825_TX_GAS_CAP * 4) / 5);

/** The upper bound of one entry's gas (see above). */
export function recordKeyGas(envelopeBytes: number): number {
  return (
    GAS_PER_ENTRY +
    GAS_PER_ENVELOPE_WORD * Math.ceil(envelopeBytes / WORD_BYTES) +
    GAS_PER_CALLDATA_BYTE * envelopeBytes
  );
}

/** The upper bound of one addRecordKeys transaction carrying these envelopes. */
export function recordKeysTransactionGas(envelopeLengths: readonly number[]): number {
  return envelopeLengths.reduce((sum, length) => sum + recordKeyGas(length), GAS_PER_TRANSACTION);
}

/** Splits `entries`, in order, into the fewest runs whose transactions stay within `budget`. */
export function splitRecordKeys<T extends { readonly keyEnvelope: Uint8Array }>(
  entries: readonly T[],
  budget: number = RECORD_KEYS_TX_GAS_BUDGET,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let gas = GAS_PER_TRANSACTION;
  for (const entry of entries) {
    const entryGas = recordKeyGas(entry.keyEnvelope.length);
    if (current.length > 0 && gas + entryGas > budget) {
      batches.push(current);
      current = [];
      gas = GAS_PER_TRANSACTION;
    }
    current.push(entry);
    gas += entryGas;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
