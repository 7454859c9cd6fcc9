import { Wallet } from 'ethers';
import { FeeQuotes } from './fee-quotes';
import { NonceRounds } from './nonce-rounds';
import { MinedReceipt, pollForReceipt } from './receipts';
import { Replacements } from './replacement';
import { OutgoingTransaction, SenderProvider, SigningAccount } from './signing-account';

export { SendDeadlineExceededError } from './nonce-rounds';
export type { MinedReceipt, ReceiptLog } from './receipts';
export type { OutgoingTransaction, SenderProvider } from './signing-account';

/** A transaction not mined after this long is re-sent with the same nonce and higher fees. */
export const DEFAULT_STUCK_AFTER_MS = 20_000;

/**
 * Signs and broadcasts one account's transactions, assigning nonces itself. Every writer of a
 * ledger goes through one instance (the ledger's EvmConnection), so concurrent uploads never race
 * for a nonce, yet a caller may have several of its own transactions in flight (pipelining): `send`
 * resolves once the node accepted the transaction, not once it is mined.
 *
 * The jobs, each in its own file: nonce assignment and batching (nonce-rounds.ts), receipt polling
 * (receipts.ts), fee quotes (fee-quotes.ts), replacement of stuck transactions (replacement.ts),
 * signing and the account's lane (signing-account.ts).
 */
export class TransactionSender {
  private readonly account: SigningAccount;
  private readonly replacements: Replacements;
  private readonly rounds: NonceRounds;

  constructor(
    private readonly provider: SenderProvider,
    wallet: Wallet,
    chainId: bigint,
    private readonly stuckAfterMs: number = DEFAULT_STUCK_AFTER_MS,
  ) {
    this.account = new SigningAccount(provider, wallet, chainId);
    this.replacements = new Replacements(this.account);
    this.rounds = new NonceRounds(this.account, new FeeQuotes(provider), this.replacements);
  }

  get address(): string {
    return this.account.address;
  }

  /**
   * Queues `tx` behind every earlier one (its nonce follows theirs); resolves to its hash once the
   * node accepted it. If `deadlineAt` (epoch ms) passes while it waits, it is never broadcast.
   */
  send(tx: OutgoingTransaction, deadlineAt: number): Promise<string> {
    return this.rounds.enqueue(tx, deadlineAt);
  }

  /**
   * Polls until `hash` is mined with `confirmations` blocks (1 = its own), or `deadlineAt` passes.
   * A transaction still unmined after `stuckAfterMs` (fees moved, or it was dropped from the pool)
   * is replaced: the same nonce and call, re-signed with fees raised by 25 %; whichever of the
   * versions is mined is the receipt returned.
   */
  async waitForReceipt(hash: string, confirmations: number, deadlineAt: number): Promise<MinedReceipt | null> {
    const versions = [hash];
    try {
      return await pollForReceipt(this.provider, versions, confirmations, deadlineAt, {
        afterMs: this.stuckAfterMs,
        replace: (stuck) => this.replacements.replace(stuck),
      });
    } finally {
      this.replacements.forget(versions);
    }
  }
}
