import { ChainName, CHAIN_DISPLAY_NAMES } from '../../../domain/chain-name';

/** Everything one EVM ledger adapter needs; one instance per chain. */
export interface EvmLedgerSettings {
  readonly chain: ChainName;
  /** http(s) JSON-RPC endpoint. May embed a provider API key: never logged. */
  readonly rpcUrl: string;
  /** The EmrRegistry contract. */
  readonly registryAddress: string;
  /** The PatientAccessRegistry contract (keys, consents, access log). */
  readonly accessRegistryAddress: string;
  /** 0x + 64 hex: the account that holds WRITER_ROLE on the registry. Never logged. */
  readonly signerPrivateKey: string;
  /** The adapter refuses to start when the RPC reports another chain id. */
  readonly expectedChainId: number;
  /** Blocks to wait for after a record's commit (1 = mined). 1 on an automining dev chain. */
  readonly confirmations: number;
  /** Bound on every RPC call and on each wait for a receipt; nothing waits longer. */
  readonly timeoutMs: number;
}

/** What the EVM adapters log through; Nest's `Logger` fits. */
export interface EvmLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const SILENT_LOGGER: EvmLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * A ledger setting is wrong (chain id, registry address, signer role, malformed value). Not a
 * DomainError: it stops startup, it is not an answer to a request.
 */
export class LedgerMisconfiguredError extends Error {
  constructor(
    readonly chain: ChainName,
    message: string,
  ) {
    super(`Ledger ${chain} (${CHAIN_DISPLAY_NAMES[chain]}): ${message}`);
    this.name = 'LedgerMisconfiguredError';
  }
}

const PRIVATE_KEY_PATTERN = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS_PATTERN = /^0x[0-9a-fA-F]{40}$/;

/** Checks shapes only (reachability and chain id are checked by `EvmConnection.verifyChain` on first contact). */
export function assertValidSettings(settings: EvmLedgerSettings): void {
  const fail = (message: string): never => {
    throw new LedgerMisconfiguredError(settings.chain, message);
  };
  let url: URL | null = null;
  try {
    url = new URL(settings.rpcUrl);
  } catch {
    fail('rpcUrl is not a URL.');
  }
  if (url && url.protocol !== 'http:' && url.protocol !== 'https:') fail('rpcUrl must be http(s).');
  if (!ADDRESS_PATTERN.test(settings.registryAddress)) fail('registryAddress must be 0x + 40 hex characters.');
  if (!ADDRESS_PATTERN.test(settings.accessRegistryAddress)) {
    fail('accessRegistryAddress must be 0x + 40 hex characters.');
  }
  if (!PRIVATE_KEY_PATTERN.test(settings.signerPrivateKey)) {
    fail('signerPrivateKey must be 0x + 64 hex characters.');
  }
  if (!Number.isSafeInteger(settings.expectedChainId) || settings.expectedChainId <= 0) {
    fail('expectedChainId must be a positive integer.');
  }
  if (!Number.isInteger(settings.confirmations) || settings.confirmations < 1) {
    fail('confirmations must be an integer ≥ 1.');
  }
  if (!Number.isFinite(settings.timeoutMs) || settings.timeoutMs <= 0) fail('timeoutMs must be positive.');
}
