import { bumpFees, Fees } from './fee-quotes';
import { OutgoingTransaction, SigningAccount } from './signing-account';

/** A signed transaction not yet known to be mined: enough to re-sign it. */
export interface SentTransaction {
  readonly tx: OutgoingTransaction;
  readonly nonce: number;
  readonly fees: Fees;
}

/**
 * The account's transactions in flight, and their replacement when stuck (fees moved, or dropped
 * from the pool): the same nonce and call, re-signed with fees raised by 25 % (fee-quotes.ts).
 */
export class Replacements {
  /** By hash; a caller waiting for a receipt forgets its hashes when it stops waiting. */
  private readonly inFlight = new Map<string, SentTransaction>();

  constructor(private readonly account: SigningAccount) {}

  track(hash: string, sent: SentTransaction): void {
    this.inFlight.set(hash, sent);
  }

  forget(hashes: readonly string[]): void {
    for (const hash of hashes) this.inFlight.delete(hash);
  }

  /**
   * Re-signs a stuck transaction with the same nonce and bumped fees, on the account's lane so no
   * other transaction is signed meanwhile. Null when there is nothing to replace (already mined,
   * or its nonce was used by another transaction).
   */
  replace(hash: string): Promise<string | null> {
    return this.account.exclusive(async (): Promise<string | null> => {
      const sent = this.inFlight.get(hash);
      if (!sent) return null;
      const mined = await this.account.minedNonce();
      if (mined > sent.nonce) return null;
      const fees = bumpFees(sent.fees);
      const { raw, hash: replacement } = await this.account.sign(sent.tx, sent.nonce, fees);
      try {
        await this.account.broadcastRaw(raw);
      } catch {
        // The original was mined or replaced meanwhile; the caller keeps polling what it has.
        return null;
      }
      this.inFlight.set(replacement, { tx: sent.tx, nonce: sent.nonce, fees });
      return replacement;
    });
  }
}
