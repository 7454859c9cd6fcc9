import { ChainName, isChainName } from '../../domain/chain-name';
import { ValidationFailedError } from '../../domain/errors';

export interface Cursor {
  readonly beforeVersion: number;
  /** Versions are per ledger, so a cursor belongs to the ledger that issued it. */
  readonly chain: ChainName;
}

/**
 * Paging cursors are opaque to clients: base64url of "v<version>@<chain>", the version
 * below which the next page starts on that ledger.
 */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`v${cursor.beforeVersion}@${cursor.chain}`, 'utf8').toString('base64url');
}

export function decodeCursor(raw: string): Cursor {
  const match = /^v([1-9][0-9]{0,15})@([a-z]+)$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  const beforeVersion = match ? Number(match[1]) : NaN;
  const chain = match?.[2] ?? '';
  if (!Number.isSafeInteger(beforeVersion) || !isChainName(chain) || encodeCursor({ beforeVersion, chain }) !== raw) {
    throw new ValidationFailedError('cursor is not one this service issued.', 'cursor');
  }
  return { beforeVersion, chain };
}
