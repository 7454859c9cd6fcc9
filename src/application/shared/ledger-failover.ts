import { ChainName } from '../../domain/chain-name';
import { ChainUnavailableError, IntegrityCheckFailedError, RecordNotFoundError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';

/** A ledger that failed within this window is tried after the others. */
const RECENT_FAILURE_MS = 30_000;

/**
 * Reads with `chain=any`: try the ledgers one after another, healthy-looking ones first,
 * and move on when a ledger is unreachable, lacks the record (a replica may still be on
 * its way) or serves a copy that fails verification. A named ledger is read as asked.
 */
export class LedgerFailover {
  private readonly lastFailure = new Map<ChainName, number>();

  constructor(private readonly ledgers: Ledgers) {}

  async read<T>(target: ChainName | 'any', attempt: (chain: ChainName) => Promise<T>): Promise<T> {
    if (target !== 'any') return attempt(target);
    const errors: unknown[] = [];
    for (const chain of this.order()) {
      try {
        const result = await attempt(chain);
        this.lastFailure.delete(chain);
        return result;
      } catch (error) {
        if (!(
          error instanceof ChainUnavailableError ||
          error instanceof IntegrityCheckFailedError ||
          error instanceof RecordNotFoundError
        )) {
          throw error;
        }
        if (!(error instanceof RecordNotFoundError)) this.lastFailure.set(chain, Date.now());
        errors.push(error);
      }
    }
    // Nothing served: a bad copy says the most, then an outage, then absence.
    throw (
      errors.find((e) => e instanceof IntegrityCheckFailedError) ??
      errors.find((e) => e instanceof ChainUnavailableError) ??
      errors[0]
    );
  }

  private order(): ChainName[] {
    const now = Date.now();
    const recent = (chain: ChainName) => now - (this.lastFailure.get(chain) ?? 0) < RECENT_FAILURE_MS;
    const chains = this.ledgers.all().map((repository) => repository.chain);
    return [...chains.filter((c) => !recent(c)), ...chains.filter(recent)];
  }
}
