import { EIP7825_TX_GAS_CAP } from './registry/chunk-plan';
import {
  RECORD_KEYS_TX_GAS_BUDGET,
  recordKeyGas,
  recordKeysTransactionGas,
  splitRecordKeys,
} from './record-key-batches';

const entries = (count: number, bytes: number) =>
  Array.from({ length: count }, (_, n) => ({ keyEnvelope: new Uint8Array(bytes), n }));

describe('splitRecordKeys', () => {
  it('keeps the budget under the cap once the adapter adds its 5/4 margin', () => {
    expect((RECORD_KEYS_TX_GAS_BUDGET * 5) / 4).toBeLessThanOrEqual(EIP7825_TX_GAS_CAP);
  });

  it('sends 20 one-slot envelopes, and up to 94, as one transaction', () => {
    expect(splitRecordKeys(entries(20, 115))).toHaveLength(1);
    expect(splitRecordKeys(entries(94, 115))).toHaveLength(1);
    expect(splitRecordKeys(entries(95, 115)).map((batch) => batch.length)).toEqual([94, 1]);
  });

  it('fits 4 of the largest envelopes in one transaction, not 5', () => {
    expect(splitRecordKeys(entries(5, 4096)).map((batch) => batch.length)).toEqual([4, 1]);
  });

  it('keeps the order and every entry, each batch within the budget', () => {
    const mixed = [...entries(3, 4096), ...entries(150, 115), ...entries(2, 4096)].map((entry, n) => ({
      ...entry,
      n,
    }));
    const batches = splitRecordKeys(mixed);
    expect(batches.flat().map((entry) => entry.n)).toEqual(mixed.map((entry) => entry.n));
    for (const batch of batches) {
      expect(recordKeysTransactionGas(batch.map((entry) => entry.keyEnvelope.length))).toBeLessThanOrEqual(
        RECORD_KEYS_TX_GAS_BUDGET,
      );
    }
    expect(batches.length).toBeGreaterThan(1);
  });

  it('sends nothing for no entries, and an entry alone when it is all that fits', () => {
    expect(splitRecordKeys([])).toEqual([]);
    const lone = entries(2, 4096);
    expect(splitRecordKeys(lone, recordKeysTransactionGas([4096]))).toEqual([[lone[0]], [lone[1]]]);
  });

  it('charges each started 32-byte word of an envelope', () => {
    expect(recordKeyGas(33) - recordKeyGas(32)).toBeGreaterThan(recordKeyGas(32) - recordKeyGas(31));
  });
});
