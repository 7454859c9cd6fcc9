import { SenderProvider } from './signing-account';

/** A log of a mined transaction, as the node returned it (0x-hex strings). */
export interface ReceiptLog {
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
}

/**
 * The fields of a mined transaction's receipt the adapters use, read from the raw
 * eth_getTransactionReceipt answer (ethers' TransactionReceipt wraps and re-checks every field and
 * log, ~0.5 ms per receipt on the event loop).
 */
export interface MinedReceipt {
  readonly hash: string;
  readonly blockNumber: number;
  readonly blockHash: string;
  /** EIP-658: 1 succeeded, 0 reverted; null from a node that predates it. */
  readonly status: number | null;
  /** The block's timestamp (s) when the node adds it to receipts (anvil, reth do), else null. */
  readonly blockTimestamp: number | null;
  readonly logs: readonly ReceiptLog[];
}

/**
 * Receipt polls back off from 2 ms (an automining dev chain has usually mined the transaction before
 * the first poll, and otherwise within a few ms) to one per second (a public chain's block time).
 */
const RECEIPT_POLL_FIRST_MS = 2;
const RECEIPT_POLL_MAX_MS = 1_000;

/** When a transaction counts as stuck, and how to replace it (see replacement.ts). */
export interface StuckPolicy {
  readonly afterMs: number;
  /** The replacement's hash, or null when there is nothing to replace. */
  replace(hash: string): Promise<string | null>;
}

/**
 * Polls until one of `versions` (a transaction and its replacements, newest last) is mined with
 * `confirmations` blocks, or `deadlineAt` (epoch ms) passes (null). Every `stuck.afterMs` without a
 * receipt the newest version is replaced, and the replacement is appended to `versions`, so the
 * caller knows every hash that was in flight.
 */
export async function pollForReceipt(
  provider: SenderProvider,
  versions: string[],
  confirmations: number,
  deadlineAt: number,
  stuck: StuckPolicy,
): Promise<MinedReceipt | null> {
  let replaceAt = Date.now() + stuck.afterMs;
  let delay = RECEIPT_POLL_FIRST_MS;
  for (;;) {
    for (const candidate of versions) {
      const receipt = await settledReceipt(provider, candidate, confirmations);
      if (receipt) return receipt;
    }
    if (Date.now() >= replaceAt) {
      const replacement = await stuck.replace(versions[versions.length - 1]);
      if (replacement) versions.push(replacement);
      replaceAt = Date.now() + stuck.afterMs;
    }
    if (Date.now() + delay >= deadlineAt) return null;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, RECEIPT_POLL_MAX_MS);
  }
}

/** The receipt of `hash` once it has `confirmations` blocks (1 = its own), else null. */
async function settledReceipt(
  provider: SenderProvider,
  hash: string,
  confirmations: number,
): Promise<MinedReceipt | null> {
  const receipt = await readReceipt(provider, hash);
  if (!receipt) return null;
  if (confirmations <= 1) return receipt;
  // Raw calls: the provider must not answer these from a cache.
  const head = Number(BigInt((await provider.send('eth_blockNumber', [])) as string));
  if (head - receipt.blockNumber + 1 < confirmations) return null;
  // Re-read: a reorg during the wait may have moved or dropped it.
  const again = await readReceipt(provider, hash);
  return again && head - again.blockNumber + 1 >= confirmations ? again : null;
}

async function readReceipt(provider: SenderProvider, hash: string): Promise<MinedReceipt | null> {
  const raw = (await provider.send('eth_getTransactionReceipt', [hash])) as RpcReceipt | null;
  if (!raw || raw.blockNumber == null) return null;
  return {
    hash: raw.transactionHash ?? hash,
    blockNumber: Number(BigInt(raw.blockNumber)),
    blockHash: raw.blockHash,
    status: raw.status == null ? null : Number(BigInt(raw.status)),
    blockTimestamp: raw.blockTimestamp == null ? null : Number(BigInt(raw.blockTimestamp)),
    logs: (raw.logs ?? []).map(({ address, topics, data }) => ({ address, topics, data })),
  };
}

/** eth_getTransactionReceipt's answer, the fields read (0x-hex quantities). */
interface RpcReceipt {
  readonly transactionHash?: string;
  readonly blockNumber: string | null;
  readonly blockHash: string;
  readonly status?: string | null;
  /** Not in the JSON-RPC spec: anvil sends a number, others a quantity. */
  readonly blockTimestamp?: number | string | null;
  readonly logs?: readonly ReceiptLog[];
}
