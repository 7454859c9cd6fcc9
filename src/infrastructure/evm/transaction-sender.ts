import { FeeData, getBytes, isError, JsonRpcProvider, keccak256, TransactionReceipt, Wallet } from 'ethers';
import { signEip1559 } from './eip1559-transaction';

/** A contract call to sign; the gas limit is always explicit (see chunk-plan.ts for why). */
export interface OutgoingTransaction {
  readonly to: string;
  readonly data: string;
  readonly gasLimit: number;
}

/** Raised instead of broadcasting when a queued transaction's deadline passed while it waited. */
export class SendDeadlineExceededError extends Error {
  constructor() {
    super('The transaction was not broadcast before its deadline.');
    this.name = 'SendDeadlineExceededError';
  }
}

/** Fee quotes are reused this long: one eth_gasPrice/eth_getBlock round trip per burst, not per tx. */
const FEE_DATA_TTL_MS = 3_000;
/** A transaction not mined after this long is re-sent with the same nonce and higher fees. */
export const DEFAULT_STUCK_AFTER_MS = 20_000;
/**
 * Fee bump for a replacement: nodes accept a same-nonce transaction only if it pays at least
 * 10 % more (geth's default price bump); 25 % leaves room above that.
 */
const REPLACEMENT_BUMP_PERCENT = 125n;
const RECEIPT_POLL_FIRST_MS = 20;
const RECEIPT_POLL_MAX_MS = 1_000;

/**
 * Signs and broadcasts one account's transactions strictly one after another, assigning nonces
 * itself. Every writer of a ledger goes through one instance, so concurrent uploads never race for
 * a nonce, yet a caller may have several of its own transactions in flight (pipelining): `send`
 * resolves once the node accepted the transaction, not once it is mined.
 *
 * The next nonce is cached and re-read from the node ('pending' count) after any failed broadcast,
 * because a failure may or may not have consumed it.
 */
export class TransactionSender {
  private queue: Promise<unknown> = Promise.resolve();
  private nextNonce: number | null = null;
  private fees: { readonly data: FeeData; readonly fetchedAt: number } | null = null;
  /** Signed transactions not yet known to be mined, by hash: enough to re-sign them. */
  private readonly inFlight = new Map<string, SentTransaction>();

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly wallet: Wallet,
    private readonly chainId: bigint,
    private readonly stuckAfterMs: number = DEFAULT_STUCK_AFTER_MS,
  ) {}

  get address(): string {
    return this.wallet.address;
  }

  /**
   * Queues `tx` behind every earlier one; resolves to its hash once the node accepted it. If
   * `deadlineAt` (epoch ms) passes while it waits in the queue, it is never broadcast.
   */
  send(tx: OutgoingTransaction, deadlineAt: number): Promise<string> {
    const job = (): Promise<string> => {
      if (Date.now() >= deadlineAt) return Promise.reject(new SendDeadlineExceededError());
      return this.signAndBroadcast(tx, false);
    };
    const result = this.queue.then(job, job);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Polls until `hash` is mined with `confirmations` blocks (1 = its own), or `deadlineAt` passes.
   * A transaction still unmined after `stuckAfterMs` (fees moved, or it was dropped from the pool)
   * is replaced: the same nonce and call, re-signed with fees raised by 25 %; whichever of the
   * versions is mined is the receipt returned.
   */
  async waitForReceipt(hash: string, confirmations: number, deadlineAt: number): Promise<TransactionReceipt | null> {
    const hashes = [hash];
    let replaceAt = Date.now() + this.stuckAfterMs;
    let delay = RECEIPT_POLL_FIRST_MS;
    try {
      for (;;) {
        for (const candidate of hashes) {
          const receipt = await this.settled(candidate, confirmations);
          if (receipt) return receipt;
        }
        if (Date.now() >= replaceAt) {
          const replacement = await this.replace(hashes[hashes.length - 1]);
          if (replacement) hashes.push(replacement);
          replaceAt = Date.now() + this.stuckAfterMs;
        }
        if (Date.now() + delay >= deadlineAt) return null;
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, RECEIPT_POLL_MAX_MS);
      }
    } finally {
      for (const candidate of hashes) this.inFlight.delete(candidate);
    }
  }

  private async settled(hash: string, confirmations: number): Promise<TransactionReceipt | null> {
    const receipt = await this.provider.getTransactionReceipt(hash);
    if (!receipt) return null;
    if (confirmations <= 1) return receipt;
    const head = await this.provider.getBlockNumber();
    if (head - receipt.blockNumber + 1 < confirmations) return null;
    // Re-read: a reorg during the wait may have moved or dropped it.
    const again = await this.provider.getTransactionReceipt(hash);
    return again && head - again.blockNumber + 1 >= confirmations ? again : null;
  }

  /**
   * Re-signs a stuck transaction with the same nonce and bumped fees, in the send queue so no
   * other transaction is signed meanwhile. Null when there is nothing to replace (already mined,
   * or its nonce was used by another transaction).
   */
  private replace(hash: string): Promise<string | null> {
    const job = async (): Promise<string | null> => {
      const sent = this.inFlight.get(hash);
      if (!sent) return null;
      const mined = await this.provider.getTransactionCount(this.wallet.address, 'latest');
      if (mined > sent.nonce) return null;
      const fees = bumpFees(sent.fees);
      const { raw, hash: replacement } = await this.sign(sent.tx, sent.nonce, fees);
      try {
        await this.provider.send('eth_sendRawTransaction', [`0x${Buffer.from(raw).toString('hex')}`]);
      } catch {
        // The original was mined or replaced meanwhile; the caller keeps polling what it has.
        return null;
      }
      this.inFlight.set(replacement, { tx: sent.tx, nonce: sent.nonce, fees });
      return replacement;
    };
    const result = this.queue.then(job, job);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async signAndBroadcast(tx: OutgoingTransaction, isRetry: boolean): Promise<string> {
    if (this.nextNonce === null) {
      // Raw call: the provider must not answer this from a cache.
      const count = (await this.provider.send('eth_getTransactionCount', [this.wallet.address, 'pending'])) as string;
      this.nextNonce = Number(BigInt(count));
    }
    const nonce = this.nextNonce;
    const fees = await this.currentFees();
    const { raw, hash } = await this.sign(tx, nonce, fees);
    try {
      // Buffer's hex encoder: ethers' hexlify is ~20× slower on 74 KB of calldata.
      await this.provider.send('eth_sendRawTransaction', [`0x${Buffer.from(raw).toString('hex')}`]);
      this.nextNonce = nonce + 1;
      this.inFlight.set(hash, { tx, nonce, fees });
      return hash;
    } catch (error) {
      this.nextNonce = null;
      // Another process used the key (nonce taken) or fees moved: re-read both and try once more.
      if (
        !isRetry &&
        (isError(error, 'NONCE_EXPIRED') || isError(error, 'REPLACEMENT_UNDERPRICED') || feeTooLow(error))
      ) {
        this.fees = null;
        return this.signAndBroadcast(tx, true);
      }
      throw error;
    }
  }

  private async currentFees(): Promise<Fees> {
    if (!this.fees || Date.now() - this.fees.fetchedAt > FEE_DATA_TTL_MS) {
      this.fees = { data: await this.provider.getFeeData(), fetchedAt: Date.now() };
    }
    const { maxFeePerGas, maxPriorityFeePerGas, gasPrice } = this.fees.data;
    return { maxFeePerGas, maxPriorityFeePerGas, gasPrice };
  }

  private async sign(tx: OutgoingTransaction, nonce: number, fees: Fees): Promise<{ raw: Uint8Array; hash: string }> {
    const { maxFeePerGas, maxPriorityFeePerGas, gasPrice } = fees;
    if (maxFeePerGas !== null && maxPriorityFeePerGas !== null) {
      return signEip1559(
        {
          chainId: this.chainId,
          nonce,
          maxPriorityFeePerGas,
          maxFeePerGas,
          gasLimit: BigInt(tx.gasLimit),
          to: tx.to,
          value: 0n,
          data: getBytes(tx.data),
        },
        this.wallet.signingKey,
      );
    }
    // Legacy (pre-London) private chains: ethers' signer, slower but rare.
    const signed = await this.wallet.signTransaction({
      type: 0,
      chainId: this.chainId,
      nonce,
      to: tx.to,
      data: tx.data,
      gasLimit: tx.gasLimit,
      gasPrice: gasPrice ?? undefined,
      value: 0,
    });
    return { raw: getBytes(signed), hash: keccak256(signed) };
  }
}

interface Fees {
  readonly maxFeePerGas: bigint | null;
  readonly maxPriorityFeePerGas: bigint | null;
  readonly gasPrice: bigint | null;
}

interface SentTransaction {
  readonly tx: OutgoingTransaction;
  readonly nonce: number;
  readonly fees: Fees;
}

function bumpFees(fees: Fees): Fees {
  const bump = (value: bigint | null) => (value === null ? null : (value * REPLACEMENT_BUMP_PERCENT) / 100n + 1n);
  return {
    maxFeePerGas: bump(fees.maxFeePerGas),
    maxPriorityFeePerGas: bump(fees.maxPriorityFeePerGas),
    gasPrice: bump(fees.gasPrice),
  };
}

function feeTooLow(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return /base fee|underpriced|fee cap/i.test(message);
}
