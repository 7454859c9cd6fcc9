import { isError } from 'ethers';
import { ChainName, CHAIN_DISPLAY_NAMES } from '../../../domain/chain-name';
import { ChainUnavailableError } from '../../../domain/errors';

/** Seconds a client should wait before retrying an unreachable ledger. */
export const RETRY_AFTER_SECONDS = 5;
/** …and when the RPC provider throttles us (HTTP 429). */
export const THROTTLED_RETRY_AFTER_SECONDS = 15;

/** Rejects with `onTimeout()` if `work` has not settled within `timeoutMs`. */
export async function withDeadline<T>(work: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Attempts of one read before its failure is reported (all within the one deadline). */
export const READ_ATTEMPTS = 3;
/** Wait before the second attempt; tripled before each next one, with jitter (half to all of it). */
export const READ_FIRST_BACKOFF_MS = 100;

/**
 * A read-only RPC (eth_call, eth_getCode, eth_chainId, …) under one deadline of `timeoutMs`:
 * a transport failure (refused or reset connection, HTTP 5xx or 429) is retried with backoff up
 * to READ_ATTEMPTS times while time remains, so a node's hiccup does not become a 503. A revert
 * passes through untouched (callers decode it); a call that used up the deadline is not retried.
 * Only for reads: a write retried blindly could be applied twice.
 */
export async function readWithRetry<T>(
  chain: ChainName,
  timeoutMs: number,
  call: () => Promise<T>,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<T> {
  const deadlineAt = Date.now() + timeoutMs;
  let backoffMs = READ_FIRST_BACKOFF_MS;
  for (let attempt = 1; ; attempt++) {
    const timedOut = unavailable(chain, 'the RPC did not answer in time');
    try {
      return await withDeadline(call(), Math.max(deadlineAt - Date.now(), 0), () => timedOut);
    } catch (error) {
      if (isRevert(error)) throw error;
      const waitMs = backoffMs / 2 + Math.random() * (backoffMs / 2);
      if (error === timedOut || attempt >= READ_ATTEMPTS || Date.now() + waitMs >= deadlineAt) {
        throw toChainUnavailable(chain, error);
      }
      await sleep(waitMs);
      backoffMs *= 3;
    }
  }
}

export function unavailable(
  chain: ChainName,
  what: string,
  retryAfterSeconds = RETRY_AFTER_SECONDS,
): ChainUnavailableError {
  return new ChainUnavailableError(`Ledger ${CHAIN_DISPLAY_NAMES[chain]} is unavailable: ${what}.`, retryAfterSeconds);
}

/** True for a contract revert (as opposed to a transport or node failure). */
export function isRevert(error: unknown): boolean {
  return isError(error, 'CALL_EXCEPTION');
}

/** The raw revert data of a failed eth_call / eth_estimateGas, if the node returned any. */
export function revertData(error: unknown): string | null {
  if (!isError(error, 'CALL_EXCEPTION')) return null;
  return typeof error.data === 'string' && error.data !== '0x' ? error.data : null;
}

/**
 * Translates a transport-level failure into ChainUnavailableError. The message names the ledger and
 * the kind of failure only: never the RPC URL (it may carry an API key) or request payloads.
 */
export function toChainUnavailable(chain: ChainName, error: unknown): ChainUnavailableError {
  if (error instanceof ChainUnavailableError) return error;
  if (isError(error, 'TIMEOUT')) return unavailable(chain, 'the RPC did not answer in time');
  if (isError(error, 'INSUFFICIENT_FUNDS')) {
    return unavailable(chain, "the service's ledger account cannot pay for gas", 60);
  }
  const status = (error as { info?: { responseStatus?: string } } | null)?.info?.responseStatus ?? '';
  if (status.startsWith('429'))
    return unavailable(chain, 'the RPC is throttling requests', THROTTLED_RETRY_AFTER_SECONDS);
  const code = (error as { code?: unknown } | null)?.code;
  const kind = typeof code === 'string' && /^[A-Z_]+$/.test(code) ? code : 'RPC_ERROR';
  return unavailable(chain, `the RPC request failed (${kind})`);
}
