import { ValidationFailedError } from '../domain/errors';

/**
 * Paging cursors are opaque to clients: base64url of "v<version>", the version
 * below which the next page starts.
 */
export function encodeCursor(beforeVersion: number): string {
  return Buffer.from(`v${beforeVersion}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const match = /^v([1-9][0-9]{0,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const version = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(version) || encodeCursor(version) !== cursor) {
    throw new ValidationFailedError('cursor is not one this service issued.', 'cursor');
  }
  return version;
}
