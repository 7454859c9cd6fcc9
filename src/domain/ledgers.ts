import { ChainName } from './chain-name';
import { ChainUnavailableError } from './errors';
import { AccessLedger } from './ports/access-ledger.port';
import { EmrRepository } from './ports/emr-repository.port';

/**
 * The set of ledgers this deployment writes to: per chain, its record repository and
 * its access ledger (keys, consents, access log).
 */
export class Ledgers {
  private readonly byChain = new Map<ChainName, EmrRepository>();
  private readonly accessByChain = new Map<ChainName, AccessLedger>();

  constructor(repositories: readonly EmrRepository[], accessLedgers: readonly AccessLedger[] = []) {
    for (const repository of repositories) this.byChain.set(repository.chain, repository);
    for (const ledger of accessLedgers) this.accessByChain.set(ledger.chain, ledger);
  }

  access(chain: ChainName): AccessLedger {
    const ledger = this.accessByChain.get(chain);
    if (!ledger) throw new ChainUnavailableError(`Ledger ${chain} is not configured.`);
    return ledger;
  }

  allAccess(): AccessLedger[] {
    return [...this.accessByChain.values()];
  }

  get(chain: ChainName): EmrRepository {
    const repository = this.byChain.get(chain);
    if (!repository) throw new ChainUnavailableError(`Ledger ${chain} is not configured.`);
    return repository;
  }

  all(): EmrRepository[] {
    return [...this.byChain.values()];
  }
}
