import { ChainName, isChainName } from '../../domain/chain-name';
import { ValidationFailedError } from '../../domain/errors';

/**
 * Where the next page of a patient's access log starts: per ledger, the log position below
 * which it continues, or null once that ledger has nothing older. Positions are per ledger,
 * and a cursor belongs to the listing (all entries, or emergencies only) that issued it.
 */
export interface AccessLogCursor {
  readonly emergencyOnly: boolean;
  readonly before: Readonly<Partial<Record<ChainName, number | null>>>;
}

const MAX_POSITION_DIGITS = 15;
const CURSOR_TEXT = new RegExp(`^log:(all|emergency)((?:;[a-z]+=(?:[1-9][0-9]{0,${MAX_POSITION_DIGITS}}|-))+)$`);

/** Opaque to clients: base64url of "log:<all|emergency>;<chain>=<position|->;…". */
export function encodeAccessLogCursor(cursor: AccessLogCursor): string {
  const parts = Object.entries(cursor.before).map(([chain, before]) => `;${chain}=${before ?? '-'}`);
  return Buffer.from(`log:${cursor.emergencyOnly ? 'emergency' : 'all'}${parts.join('')}`, 'utf8').toString(
    'base64url',
  );
}

export function decodeAccessLogCursor(raw: string, chains: readonly ChainName[]): AccessLogCursor {
  const match = CURSOR_TEXT.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  const before: Partial<Record<ChainName, number | null>> = {};
  for (const part of match?.[2].slice(1).split(';') ?? []) {
    const [chain, position] = part.split('=');
    if (!isChainName(chain) || chain in before) return invalid();
    before[chain] = position === '-' ? null : Number(position);
  }
  const cursor = { emergencyOnly: match?.[1] === 'emergency', before };
  const complete = chains.every((chain) => chain in before) && Object.keys(before).length === chains.length;
  if (!match || !complete || encodeAccessLogCursor(cursor) !== raw) return invalid();
  return cursor;
}

function invalid(): never {
  throw new ValidationFailedError('cursor is not one this service issued.', 'cursor');
}
