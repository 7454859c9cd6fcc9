import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export const LEDGER_BACKENDS = ['embedded', 'rpc', 'memory'] as const;
export type LedgerBackend = (typeof LEDGER_BACKENDS)[number];

export const HEX_32_BYTES = /^(0x)?[0-9a-fA-F]{64}$/;
const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));
const toBool = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : value === true || value === 'true' || value === '1';

/**
 * Every setting the service reads, validated at boot (validate-environment.ts adds the checks
 * that span settings). `.env.example` documents each one; keep the two in step. Secrets are optional: the embedded default generates
 * them into DATA_DIR on first start.
 */
export class Environment {
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsOptional()
  @IsString()
  HOST = '127.0.0.1';

  @IsOptional()
  @IsString()
  DATA_DIR = './data';

  @IsOptional()
  @IsIn(LEDGER_BACKENDS)
  LEDGER_BACKEND: LedgerBackend = 'embedded';

  /**
   * Where `npm run deploy -- --network <chain>` records deployments (`<chain>.json`). With
   * LEDGER_BACKEND=rpc, a chain's unset CHAIN_ID and registry addresses are read from there.
   */
  @IsOptional()
  @IsString()
  DEPLOYMENTS_DIR = './deployments';

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100 * 1024 * 1024)
  MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL = 'log';

  /** HMAC key for patient pseudonyms (64 hex chars). Generated into DATA_DIR when absent. */
  @IsOptional()
  @Matches(HEX_32_BYTES, { message: 'PSEUDONYM_SECRET must be 64 hex characters' })
  PSEUDONYM_SECRET?: string;

  /** ECDSA P-256 record-signing private key (64 hex chars). Generated into DATA_DIR when absent. */
  @IsOptional()
  @Matches(HEX_32_BYTES, { message: 'SIGNING_PRIVATE_KEY must be 64 hex characters' })
  SIGNING_PRIVATE_KEY?: string;

  /**
   * Earlier record-signing public keys (comma-separated 65-byte SEC 1, hex) whose signatures still
   * verify: keep the old key here when SIGNING_PRIVATE_KEY is rotated, or every older record is 422.
   */
  @IsOptional()
  @Matches(/^\s*((0x)?04[0-9a-fA-F]{128}\s*(,\s*(0x)?04[0-9a-fA-F]{128}\s*)*)?$/, {
    message:
      'TRUSTED_SIGNING_PUBLIC_KEYS must be comma-separated uncompressed P-256 public keys (04 + 128 hex characters each)',
  })
  TRUSTED_SIGNING_PUBLIC_KEYS = '';

  /**
   * AES-256-GCM key sealing principals' private keys (and principals.json) at rest (64 hex chars).
   * Required with LEDGER_BACKEND=rpc; otherwise generated into DATA_DIR when absent.
   */
  @IsOptional()
  @Matches(HEX_32_BYTES, { message: 'KEY_VAULT_MASTER_KEY must be 64 hex characters' })
  KEY_VAULT_MASTER_KEY?: string;

  /** A file (outside DATA_DIR) holding KEY_VAULT_MASTER_KEY, instead of the variable. */
  @IsOptional()
  @IsString()
  KEY_VAULT_MASTER_KEY_FILE?: string;

  /** The operator's bearer token (32-200 characters). When absent, one is generated at first start and printed once; only its hash is kept. */
  @IsOptional()
  @IsString()
  @Matches(/^\S{32,200}$/, { message: 'ADMIN_TOKEN must be 32-200 characters without spaces' })
  ADMIN_TOKEN?: string;

  /** Requests per minute allowed for one token (or, without a token, one client address). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT_PER_MINUTE = 600;

  /** Emergency (break-glass) reads one provider may make in any sliding hour, apart from the rate limit. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  BREAK_GLASS_PER_HOUR = 10;

  /** How long a claim code (from enrolment, or re-issued) stays valid, in hours: 168 is 7 days. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(24 * 366)
  CLAIM_CODE_TTL_HOURS = 168;

  /** Failed claims (wrong, used or expired codes) one client address may make in any sliding hour; then 429. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  CLAIM_ATTEMPTS_PER_HOUR = 10;

  /** How long a client may take to send a request's headers before the socket is closed (408). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  HTTP_HEADERS_TIMEOUT_MS = 20_000;

  /** How long a client may take to send a whole request, body included: a MAX_UPLOAD_BYTES upload must fit. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  HTTP_REQUEST_TIMEOUT_MS = 300_000;

  /** How long an idle keep-alive connection stays open. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 5_000;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  LEDGER_TIMEOUT_MS = 30_000;

  @IsOptional()
  @IsString()
  SUPCHAIN_RPC_URL?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  SUPCHAIN_CHAIN_ID?: number;

  @IsOptional()
  @Matches(/^0x[0-9a-fA-F]{40}$/, { message: 'SUPCHAIN_REGISTRY_ADDRESS must be a 0x-prefixed 20-byte address' })
  SUPCHAIN_REGISTRY_ADDRESS?: string;

  @IsOptional()
  @Matches(/^0x[0-9a-fA-F]{40}$/, { message: 'SUPCHAIN_ACCESS_REGISTRY_ADDRESS must be a 0x-prefixed 20-byte address' })
  SUPCHAIN_ACCESS_REGISTRY_ADDRESS?: string;

  @IsOptional()
  @Matches(HEX_32_BYTES, { message: 'SUPCHAIN_PRIVATE_KEY must be 64 hex characters' })
  SUPCHAIN_PRIVATE_KEY?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(64)
  SUPCHAIN_CONFIRMATIONS = 1;

  @IsOptional()
  @IsString()
  MEDCHAIN_RPC_URL?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  MEDCHAIN_CHAIN_ID?: number;

  @IsOptional()
  @Matches(/^0x[0-9a-fA-F]{40}$/, { message: 'MEDCHAIN_REGISTRY_ADDRESS must be a 0x-prefixed 20-byte address' })
  MEDCHAIN_REGISTRY_ADDRESS?: string;

  @IsOptional()
  @Matches(/^0x[0-9a-fA-F]{40}$/, { message: 'MEDCHAIN_ACCESS_REGISTRY_ADDRESS must be a 0x-prefixed 20-byte address' })
  MEDCHAIN_ACCESS_REGISTRY_ADDRESS?: string;

  @IsOptional()
  @Matches(HEX_32_BYTES, { message: 'MEDCHAIN_PRIVATE_KEY must be 64 hex characters' })
  MEDCHAIN_PRIVATE_KEY?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(64)
  MEDCHAIN_CONFIRMATIONS = 1;

  /** Comma-separated origins allowed by CORS; empty means CORS stays off. */
  @IsOptional()
  @IsString()
  CORS_ORIGINS = '';

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  TRUST_PROXY = false;
}
