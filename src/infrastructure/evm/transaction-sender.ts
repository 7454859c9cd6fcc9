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

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly wallet: Wallet,
    private readonly chainId: bigint,
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

  /** Polls until `hash` is mined with `confirmations` blocks (1 = its own), or `deadlineAt` passes. */
  async waitForReceipt(hash: string, confirmations: number, deadlineAt: number): Promise<TransactionReceipt | null> {
    let delay = RECEIPT_POLL_FIRST_MS;
    for (;;) {
      const receipt = await this.provider.getTransactionReceipt(hash);
      if (receipt) {
        if (confirmations <= 1) return receipt;
        const head = await this.provider.getBlockNumber();
        if (head - receipt.blockNumber + 1 >= confirmations) {
          // Re-read: a reorg during the wait may have moved or dropped it.
          const settled = await this.provider.getTransactionReceipt(hash);
          if (settled && head - settled.blockNumber + 1 >= confirmations) return settled;
        }
      }
      if (Date.now() + delay >= deadlineAt) return null;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, RECEIPT_POLL_MAX_MS);
    }
  }

  private async signAndBroadcast(tx: OutgoingTransaction, isRetry: boolean): Promise<string> {
    if (this.nextNonce === null) {
      // Raw call: the provider must not answer this from a cache.
      const count = (await this.provider.send('eth_getTransactionCount', [this.wallet.address, 'pending'])) as string;
      this.nextNonce = Number(BigInt(count));
    }
    const nonce = this.nextNonce;
    const { raw, hash } = await this.sign(tx, nonce);
    try {
      // Buffer's hex encoder: ethers' hexlify is ~20× slower on 74 KB of calldata.
      await this.provider.send('eth_sendRawTransaction', [`0x${Buffer.from(raw).toString('hex')}`]);
      this.nextNonce = nonce + 1;
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

  private async sign(tx: OutgoingTransaction, nonce: number): Promise<{ raw: Uint8Array; hash: string }> {
    if (!this.fees || Date.now() - this.fees.fetchedAt > FEE_DATA_TTL_MS) {
      this.fees = { data: await this.provider.getFeeData(), fetchedAt: Date.now() };
    }
    const { maxFeePerGas, maxPriorityFeePerGas, gasPrice } = this.fees.data;
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

function feeTooLow(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return /base fee|underpriced|fee cap/i.test(message);
}
