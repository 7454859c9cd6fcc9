import { utf8 } from './bytes';
import { Hasher } from './ports/hasher.port';
import { RandomSource } from './ports/random.port';

/** Crockford base32: no I, L, O or U, so a code reads back the way it was written. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 20 characters of 5 bits: 100 bits of randomness. */
export const CLAIM_CODE_CHARS = 20;
const GROUP_CHARS = 4;

export interface IssuedClaimCode {
  /** Shown to the enroller once, grouped `XXXX-XXXX-XXXX-XXXX-XXXX`; never stored or logged. */
  readonly code: string;
  /** SHA-256 of the normalized code: all that is kept. */
  readonly hash: Uint8Array;
}

/**
 * One-time claim codes: what an enroller hands a new patient or provider, who exchanges it for a
 * token of their own (POST /api/v1/claims). Typed by people, so accepted in any case, with or
 * without dashes and spaces, and with Crockford's confusables (O→0, I/L→1).
 */
export class ClaimCodes {
  constructor(
    private readonly hasher: Hasher,
    private readonly random: RandomSource,
  ) {}

  issue(): IssuedClaimCode {
    const bytes = this.random.bytes(Math.ceil((CLAIM_CODE_CHARS * 5) / 8));
    let bits = 0n;
    for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
    let plain = '';
    for (let i = 0; i < CLAIM_CODE_CHARS; i++) plain = CROCKFORD[Number((bits >> BigInt(5 * i)) & 31n)] + plain;
    return { code: groupClaimCode(plain), hash: this.hashNormalized(plain) };
  }

  /** The hash a presented code is looked up by, or null when it cannot be a claim code at all. */
  hash(presented: string): Uint8Array | null {
    const normalized = normalizeClaimCode(presented);
    return normalized === null ? null : this.hashNormalized(normalized);
  }

  private hashNormalized(normalized: string): Uint8Array {
    return this.hasher.sha256(utf8(normalized));
  }
}

/** The canonical form (20 upper-case Crockford characters), or null when `raw` is not shaped like a code. */
export function normalizeClaimCode(raw: string): string | null {
  const plain = raw.replace(/[\s-]/g, '').toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');
  if (plain.length !== CLAIM_CODE_CHARS) return null;
  for (const char of plain) if (!CROCKFORD.includes(char)) return null;
  return plain;
}

function groupClaimCode(plain: string): string {
  const groups: string[] = [];
  for (let i = 0; i < plain.length; i += GROUP_CHARS) groups.push(plain.slice(i, i + GROUP_CHARS));
  return groups.join('-');
}
