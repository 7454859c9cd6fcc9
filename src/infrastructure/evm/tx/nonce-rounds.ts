import { isError } from 'ethers';
import { FeeQuotes, Fees } from './fee-quotes';
import { Replacements } from './replacement';
import { OutgoingTransaction, SigningAccount } from './signing-account';

/** Gas of a plain value transfer (Yellow Paper G_transaction), for a no-op that takes a nonce. */
const TRANSFER_GAS = 21_000;

/** Raised instead of broadcasting when a queued transaction's deadline passed while it waited. */
export class SendDeadlineExceededError extends Error {
  constructor() {
    super('The transaction was not broadcast before its deadline.');
    this.name = 'SendDeadlineExceededError';
  }
}

/**
 * Nonce assignment by group commit: transactions are broadcast in rounds, one round at a time. A
 * round takes every transaction queued when it starts, signs them with consecutive nonces in queue
 * order and sends them as one JSON-RPC batch; whatever is queued meanwhile goes in the next round.
 * One upload alone pays one round trip per transaction, but 32 concurrent uploads do not wait for
 * 32 round trips one after another, and a node that mines on arrival (anvil) puts a round's
 * transactions in one block instead of one block each.
 *
 * A node may refuse one transaction of a round and accept later ones: their nonces then wait on a
 * hole. The round closes any hole at once (the refused transaction re-sent, else a no-op transfer
 * to itself at that nonce), so a transaction accepted never waits on one that was not.
 *
 * The next nonce is cached and re-read from the node ('pending' count) after any failed broadcast,
 * because a failure may or may not have consumed it.
 */
export class NonceRounds {
  private queued: QueuedTransaction[] = [];
  private roundScheduled = false;
  private nextNonce: number | null = null;

  constructor(
    private readonly account: SigningAccount,
    private readonly fees: FeeQuotes,
    private readonly replacements: Replacements,
  ) {}

  /**
   * Queues `tx` behind every earlier one (its nonce follows theirs); resolves to its hash once the
   * node accepted it. If `deadlineAt` (epoch ms) passes while it waits, it is never broadcast.
   */
  enqueue(tx: OutgoingTransaction, deadlineAt: number): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.queued.push({ tx, deadlineAt, retried: false, resolve, reject });
      this.scheduleRound();
    });
  }

  /** One round for everything queued until it starts (see the class comment). */
  private scheduleRound(): void {
    if (this.roundScheduled) return;
    this.roundScheduled = true;
    void this.account.exclusive(async () => {
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
      firstNonce = this.nextNonce ?? (await this.account.pendingNonce());
      fees = await this.fees.current();
    } catch (error) {
      // No nonce or fee quote (node unreachable): nothing was sent.
      for (const job of live) job.reject(error);
      return;
    }
    const round: SignedTransaction[] = [];
    for (const job of live) {
      const nonce = firstNonce + round.length;
      try {
        round.push({ job, nonce, fees, ...(await this.account.sign(job.tx, nonce, fees)) });
      } catch (error) {
        job.reject(error);
      }
    }
    // Requests made in the same tick share one HTTP request (a JSON-RPC batch, in this order).
    const outcomes = await Promise.allSettled(round.map((signed) => this.account.broadcastRaw(signed.raw)));
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
      this.fees.forget();
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
      await this.account.broadcastRaw(signed.raw);
      this.accepted(signed);
      return true;
    } catch {
      const known = await this.account.transactionByHash(signed.hash).catch(() => null);
      if (known) {
        this.accepted(signed);
        return true;
      }
    }
    const filler = { to: this.account.address, data: new Uint8Array(0), gasLimit: TRANSFER_GAS };
    const { raw } = await this.account.sign(filler, signed.nonce, signed.fees);
    // If this fails as well, the later transactions wait until their deadline: their callers see
    // an unconfirmed transaction, as for any node that stops mining.
    await this.account.broadcastRaw(raw).catch(() => undefined);
    return false;
  }

  private accepted(signed: SignedTransaction): void {
    this.replacements.track(signed.hash, { tx: signed.job.tx, nonce: signed.nonce, fees: signed.fees });
    signed.job.resolve(signed.hash);
  }
}

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

function retryable(error: unknown): boolean {
  return isError(error, 'NONCE_EXPIRED') || isError(error, 'REPLACEMENT_UNDERPRICED') || feeTooLow(error);
}

function feeTooLow(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return /base fee|underpriced|fee cap/i.test(message);
}
