import { Ledgers } from '../../src/domain/ledgers';

/**
 * Everything the in-memory ledgers hold, flattened to text: every byte array appears
 * both as hex and decoded as Latin-1 (so UTF-8 text hidden in bytes would show up).
 */
export function dumpMemoryLedgers(ledgers: Ledgers): string {
  const seen = new Set<unknown>();
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (value === null || value === undefined) return;
    if (value instanceof Uint8Array) {
      parts.push(Buffer.from(value).toString('hex'), Buffer.from(value).toString('latin1'));
      return;
    }
    if (typeof value !== 'object') {
      parts.push(String(value));
      return;
    }
    if (seen.has(value)) return;
    seen.add(value);
    if (value instanceof Map) {
      for (const [key, item] of value) {
        walk(key);
        walk(item);
      }
      return;
    }
    if (value instanceof Date) {
      parts.push(value.toISOString());
      return;
    }
    for (const item of Object.values(value as Record<string, unknown>)) walk(item);
  };
  for (const ledger of [...ledgers.all(), ...ledgers.allAccess()]) walk(ledger);
  return parts.join('\n');
}
