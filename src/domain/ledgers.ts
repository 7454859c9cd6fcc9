import { ChainName } from './chain-name';
import { ChainUnavailableError } from './errors';
import { EmrRepository } from './ports/emr-repository.port';

/** The set of ledgers this deployment writes to, one repository per chain. */
export class Ledgers {
  private readonly byChain = new Map<ChainName, EmrRepository>();

  constructor(repositories: readonly EmrRepository[]) {
    for (const repository of repositories) this.byChain.set(repository.chain, repository);
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
