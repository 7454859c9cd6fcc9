import { ValidationFailedError } from './errors';

/** The two ledgers of the product. Names are lower case on the wire and in code. */
export const CHAIN_NAMES = ['supchain', 'medchain'] as const;
export type ChainName = (typeof CHAIN_NAMES)[number];

/** Display names as the seed's users know them. */
export const CHAIN_DISPLAY_NAMES: Record<ChainName, string> = {
  supchain: 'SUPchain',
  medchain: 'MEDchain',
};

export function isChainName(value: string): value is ChainName {
  return (CHAIN_NAMES as readonly string[]).includes(value);
}

/** Case-insensitive, so the seed's `SUPchain` / `MEDchain` work. */
export function parseChainName(raw: unknown, field = 'chain'): ChainName {
  const value = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (!isChainName(value)) {
    throw new ValidationFailedError(`${field} must be one of: ${CHAIN_NAMES.join(', ')}.`, field);
  }
  return value;
}

/** Where an upload goes: one ledger, or `both` (replicated). */
export function parseWriteTarget(raw: unknown): ChainName[] {
  const value = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (value === 'both') return [...CHAIN_NAMES];
  if (isChainName(value)) return [value];
  throw new ValidationFailedError(`chain must be one of: ${[...CHAIN_NAMES, 'both'].join(', ')}.`, 'chain');
}

/** Where a read comes from: one ledger, or `any` (first healthy, verified, with failover). */
export function parseReadTarget(raw: unknown): ChainName | 'any' {
  const value = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (value === 'any') return 'any';
  if (isChainName(value)) return value;
  throw new ValidationFailedError(`chain must be one of: ${[...CHAIN_NAMES, 'any'].join(', ')}.`, 'chain');
}
