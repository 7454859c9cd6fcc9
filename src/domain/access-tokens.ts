import { bytesEqual, utf8 } from './bytes';
import { Hasher } from './ports/hasher.port';
import { RandomSource } from './ports/random.port';

/** Bearer tokens carry 256 bits of randomness. */
export const TOKEN_RANDOM_BYTES = 32;
/** Lets secret scanners recognise a leaked token. */
export const TOKEN_PREFIX = 'emr_';

export interface IssuedToken {
  /** Shown to its holder once; never stored or logged. */
  readonly token: string;
  readonly hash: Uint8Array;
}

/** Issues bearer tokens and hashes presented ones; only hashes are ever kept. */
export class AccessTokens {
  constructor(
    private readonly hasher: Hasher,
    private readonly random: RandomSource,
  ) {}

  issue(): IssuedToken {
    const token = TOKEN_PREFIX + base64url(this.random.bytes(TOKEN_RANDOM_BYTES));
    return { token, hash: this.hash(token) };
  }

  hash(token: string): Uint8Array {
    return this.hasher.sha256(utf8(token));
  }

  /** Constant-time in the hash bytes. */
  matches(token: string, hash: Uint8Array): boolean {
    return bytesEqual(this.hash(token), hash);
  }
}

/** The operator's token hash, from configuration or generated on first start. */
export class AdminCredential {
  constructor(readonly tokenHash: Uint8Array) {}
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** RFC 4648 §5, without padding. */
export function base64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.ceil((Math.min(3, bytes.length - i) * 8) / 6);
    for (let j = 0; j < chars; j++) out += BASE64URL[(chunk >> (18 - 6 * j)) & 63];
  }
  return out;
}
