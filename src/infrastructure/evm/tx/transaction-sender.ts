import { FeeData, getBytes, hexlify, isError, JsonRpcProvider, keccak256, Wallet } from 'ethers';
import { signEip1559 } from './eip1559-transaction';

/** A contract call to sign; the gas limit is always explicit (see chunk-plan.ts for why). */
export interface OutgoingTransaction {
  readonly to: string;
  /** Calldata as bytes: large uploads never go through hex strings before the wire. */
  readonly data: Uint8Array;
  readonly gasLimit: number;
}

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
/**
 * Receipt polls back off from 2 ms (an automining dev chain has usually mined the transaction before
 * the first poll, and otherwise within a few ms) to one per second (a public chain's block time).
 */
const RECEIPT_POLL_FIRST_MS = 2;
const RECEIPT_POLL_MAX_MS = 1_000;
/** Gas of a plain value transfer (Yellow Paper G_transaction), for a no-op that takes a nonce. */
const TRANSFER_GAS = 21_000;

/**
 * Signs and broadcasts one account's transactions, assigning nonces itself. Every writer of a
 * ledger goes through one instance, so concurrent uploads never race for a nonce, yet a caller may
 * have several of its own transactions in flight (pipelining): `send` resolves once the node
 * accepted the transaction, not once it is mined.
 *
 * Group commit: transactions are broadcast in rounds, one round at a time. A round takes every
 * transaction queued when it starts, signs them with consecutive nonces in queue order and sends
 * them as one JSON-RPC batch; whatever is queued meanwhile goes in the next round. One upload
 * alone pays one round trip per transaction as before, but 32 concurrent uploads no longer wait
 * for 32 round trips one after another, and a node that mines on arrival (anvil) puts a round's
 * transactions in one block instead of one block each.
 *
 * A node may refuse one transaction of a round and accept later ones: their nonces then wait on a
 * hole. The round closes any hole at once (the refused transaction re-sent, else a no-op transfer
 * to itself at that nonce), so a transaction accepted never waits on one that was not.
 *
 * The next nonce is cached and re-read from the node ('pending' count) after any failed broadcast,
 * because a failure may or may not have consumed it.
 */
export class TransactionSender {
  /** Serialises whatever assigns nonces or signs: broadcast rounds and replacements. */
  private lane: Promise<unknown> = Promise.resolve();
  private queued: QueuedTransaction[] = [];
  private roundScheduled = false;
  private nextNonce: number | null = null;
  private fees: { readonly data: FeeData; readonly fetchedAt: number } | null = null;
  /** Signed transactions not yet known to be mined, by hash: enough to re-sign them. */
  private readonly inFlight = new Map<string, SentTransaction>();

  constructor(
    private readonly provider: SenderProvider,
    private readonly wallet: Wallet,
    private readonly chainId: bigint,
    private readonly stuckAfterMs: number = DEFAULT_STUCK_AFTER_MS,
  ) {}

  get address(): string {
    return this.wallet.address;
  }

  /**
   * Queues `tx` behind every earlier one (its nonce follows theirs); resolves to its hash once the
   * node accepted it. If `deadlineAt` (epoch ms) passes while it waits, it is never broadcast.
   */
  send(tx: OutgoingTransaction, deadlineAt: number): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.queued.push({ tx, deadlineAt, retried: false, resolve, reject });
      this.scheduleRound();
    });
  }

  /**
   * Polls until `hash` is mined with `confirmations` blocks (1 = its own), or `deadlineAt` passes.
   * A transaction still unmined after `stuckAfterMs` (fees moved, or it was dropped from the pool)
   * is replaced: the same nonce and call, re-signed with fees raised by 25 %; whichever of the
   * versions is mined is the receipt returned.
   */
  async waitForReceipt(hash: string, confirmations: number, deadlineAt: number): Promise<MinedReceipt | null> {
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

  private async settled(hash: string, confirmations: number): Promise<MinedReceipt | null> {
    const receipt = await this.receipt(hash);
    if (!receipt) return null;
    if (confirmations <= 1) return receipt;
    // Raw calls: the provider must not answer these from a cache.
    const head = Number(BigInt((await this.provider.send('eth_blockNumber', [])) as string));
    if (head - receipt.blockNumber + 1 < confirmations) return null;
    // Re-read: a reorg during the wait may have moved or dropped it.
    const again = await this.receipt(hash);
    return again && head - again.blockNumber + 1 >= confirmations ? again : null;
  }

  private async receipt(hash: string): Promise<MinedReceipt | null> {
    const raw = (await this.provider.send('eth_getTransactionReceipt', [hash])) as RpcReceipt | null;
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

  /**
   * Re-signs a stuck transaction with the same nonce and bumped fees, on the lane so no other
   * transaction is signed meanwhile. Null when there is nothing to replace (already mined,
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
        await this.broadcastRaw(raw);
      } catch {
        // The original was mined or replaced meanwhile; the caller keeps polling what it has.
        return null;
      }
      this.inFlight.set(replacement, { tx: sent.tx, nonce: sent.nonce, fees });
      return replacement;
    };
    return this.exclusive(job);
  }

  /** Runs `work` after everything queued on the lane before it. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.lane.then(work, work);
    this.lane = result.catch(() => undefined);
    return result;
  }

  /** One round for everything queued until it starts (see the class comment). */
  private scheduleRound(): void {
    if (this.roundScheduled) return;
    this.roundScheduled = true;
    void this.exclusive(async () => {
      this.roundScheduled = false;
      const jobs = this.queued.splice(0);
      await this.broadcastRound(jobs).catch((error: unknown) => {
        // Unexpected (a signing failure while closing a hole): no caller is left waiting, and the
        // nonce is read again. Rejecting a job already settled does nothing.
        this.nextNonce = null;
        for (const job of jobs) job.reject(error);
      });
    });
  }

  private async broadcastRound(jobs: QueuedTransaction[]): Promise<void> {
    const live = jobs.filter((job) => {
      if (Date.now() < job.deadlineAt) return true;
      job.reject(new SendDeadlineExceededError());
      return false;
    });
    if (live.length === 0) return;
    let firstNonce: number;
    let fees: Fees;
    try {
      // Raw call: the provider must not answer this from a cache.
      firstNonce =
        this.nextNonce ??
        Number(
          BigInt((await this.provider.send('eth_getTransactionCount', [this.wallet.address, 'pending'])) as string),
        );
      fees = await this.currentFees();
    } catch (error) {
      // No nonce or fee quote (node unreachable): nothing was sent.
      for (const job of live) job.reject(error);
      return;
    }
    const round: SignedTransaction[] = [];
    for (const job of live) {
      const nonce = firstNonce + round.length;
      try {
        round.push({ job, nonce, fees, ...(await this.sign(job.tx, nonce, fees)) });
      } catch (error) {
        job.reject(error);
      }
    }
    // Requests made in the same tick share one HTTP request (a JSON-RPC batch, in this order).
    const outcomes = await Promise.allSettled(round.map((signed) => this.broadcastRaw(signed.raw)));
    const lastAccepted = outcomes.map((outcome) => outcome.status).lastIndexOf('fulfilled');
    const retries: QueuedTransaction[] = [];
    for (const [index, signed] of round.entries()) {
      const outcome = outcomes[index];
      if (outcome.status === 'fulfilled') {
        this.accepted(signed);
        continue;
      }
      const error: unknown = outcome.reason;
      // NONCE_EXPIRED: the nonce is taken (by another user of the key), so it is no hole.
      if (index < lastAccepted && !isError(error, 'NONCE_EXPIRED') && (await this.closeHole(signed))) continue;
      // Another process used the key (nonce taken) or fees moved: once more, with both re-read.
      if (!signed.job.retried && retryable(error)) {
        retries.push({ ...signed.job, retried: true });
        continue;
      }
      signed.job.reject(error);
    }
    if (outcomes.every((outcome) => outcome.status === 'fulfilled')) {
      this.nextNonce = firstNonce + round.length;
      return;
    }
    this.nextNonce = null;
    if (retries.length > 0) {
      this.fees = null;
      this.queued.unshift(...retries);
      this.scheduleRound();
    }
  }

  /**
   * The node refused `signed` but accepted a later nonce of its round. Re-sending the same bytes
   * settles a refusal that was transient (or an answer that was lost); true if the node now holds
   * the transaction. Otherwise a zero-value transfer to ourselves takes the nonce, so the later
   * transactions can be mined, and false (the caller's transaction was not sent).
   */
  private async closeHole(signed: SignedTransaction): Promise<boolean> {
    try {
      await this.broadcastRaw(signed.raw);
      this.accepted(signed);
      return true;
    } catch {
      const known = await this.provider.send('eth_getTransactionByHash', [signed.hash]).catch(() => null);
      if (known) {
        this.accepted(signed);
        return true;
      }
    }
    const filler = { to: this.wallet.address, data: new Uint8Array(0), gasLimit: TRANSFER_GAS };
    const { raw } = await this.sign(filler, signed.nonce, signed.fees);
    // If this fails as well, the later transactions wait until their deadline: their callers see
    // an unconfirmed transaction, as for any node that stops mining.
    await this.broadcastRaw(raw).catch(() => undefined);
    return false;
  }

  private accepted(signed: SignedTransaction): void {
    this.inFlight.set(signed.hash, { tx: signed.job.tx, nonce: signed.nonce, fees: signed.fees });
    signed.job.resolve(signed.hash);
  }

  private broadcastRaw(raw: Uint8Array): Promise<unknown> {
    // Buffer's hex encoder: ethers' hexlify is ~20× slower on 74 KB of calldata.
    return this.provider.send('eth_sendRawTransaction', [`0x${Buffer.from(raw).toString('hex')}`]);
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
          data: tx.data,
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
      data: hexlify(tx.data),
      gasLimit: tx.gasLimit,
      gasPrice: gasPrice ?? undefined,
      value: 0,
    });
    return { raw: getBytes(signed), hash: keccak256(signed) };
  }
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

interface Fees {
  readonly maxFeePerGas: bigint | null;
  readonly maxPriorityFeePerGas: bigint | null;
  readonly gasPrice: bigint | null;
}

/** What the sender asks of the node; JsonRpcProvider (tests: a fake). */
export type SenderProvider = Pick<JsonRpcProvider, 'send' | 'getFeeData' | 'getTransactionCount'>;

interface QueuedTransaction {
  readonly tx: OutgoingTransaction;
  readonly deadlineAt: number;
  /** Already refused once (nonce or fees); not retried again. */
  readonly retried: boolean;
  readonly resolve: (hash: string) => void;
  readonly reject: (error: unknown) => void;
}

interface SignedTransaction {
  readonly job: QueuedTransaction;
  readonly nonce: number;
  readonly fees: Fees;
  readonly raw: Uint8Array;
  readonly hash: string;
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

function retryable(error: unknown): boolean {
  return isError(error, 'NONCE_EXPIRED') || isError(error, 'REPLACEMENT_UNDERPRICED') || feeTooLow(error);
}

function feeTooLow(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return /base fee|underpriced|fee cap/i.test(message);
}
