import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccessTokens } from '../../domain/access-tokens';
import { bytesToHex, hexToBytes } from '../../domain/bytes';
import { removeFileDurably, writeFileDurably } from '../journal/durable-file';

const SECRETS_DIR = 'secrets';
/** hex SHA-256 of the generated admin token: the token itself is never stored. */
const HASH_FILE = 'admin-token.sha256';
/** Where earlier versions kept the generated token in clear; migrated to HASH_FILE and removed. */
const LEGACY_TOKEN_FILE = 'admin-token';
const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface AdminTokenEvents {
  /** The one moment the generated token exists outside its holder: show it to the operator, never log it. */
  showOnce(token: string, hashPath: string): void;
  log(message: string): void;
}

/**
 * The operator's token hash. ADMIN_TOKEN wins (nothing is stored for it); otherwise a token is
 * generated on first start, only its SHA-256 is written to `<dataDir>/secrets/admin-token.sha256`
 * (0600, durably) and the token is handed to `events.showOnce`. A plain `secrets/admin-token` left by
 * an earlier version is turned into that hash and removed (the token itself is unchanged).
 * Deleting the hash file makes the next start generate a new token.
 */
export function loadOrCreateAdminTokenHash(
  dataDir: string,
  configured: string | undefined,
  tokens: AccessTokens,
  events: AdminTokenEvents,
): Uint8Array {
  const dir = join(dataDir, SECRETS_DIR);
  const hashPath = join(dir, HASH_FILE);
  const legacyPath = join(dir, LEGACY_TOKEN_FILE);
  if (existsSync(legacyPath)) {
    writeFileDurably(hashPath, `${bytesToHex(tokens.hash(readFileSync(legacyPath, 'utf8').trim()))}\n`);
    removeFileDurably(legacyPath);
    events.log(`Replaced the plain admin token file by its hash (${hashPath}); the token is unchanged.`);
  }
  if (configured) return tokens.hash(configured);
  if (existsSync(hashPath)) {
    const stored = readFileSync(hashPath, 'utf8').trim();
    if (!SHA256_HEX.test(stored))
      throw new Error(`${hashPath} does not hold a SHA-256 hash; delete it for a new token.`);
    events.log(
      `Admin token: checked against its hash in ${hashPath} (set ADMIN_TOKEN, or delete that file for a new one).`,
    );
    return hexToBytes(stored);
  }
  const issued = tokens.issue();
  writeFileDurably(hashPath, `${bytesToHex(issued.hash)}\n`);
  events.showOnce(issued.token, hashPath);
  return issued.hash;
}
