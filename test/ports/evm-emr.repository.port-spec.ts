import { EvmEmrRepository } from '../../src/infrastructure/evm/evm-emr.repository';
import { startLedger } from '../support/embedded-ledger';
import { describeEmrRepositoryPort } from './emr-repository.port-suite';

/**
 * The EmrRepository port suite on each chain. What only the EVM adapter does is in
 * evm-emr.repository.connection.port-spec.ts (startup checks, a dead or stalled RPC) and
 * evm-emr.repository.writes.port-spec.ts (transactions, gas cap, roles, reads).
 */
for (const chain of ['supchain', 'medchain'] as const) {
  describeEmrRepositoryPort(`EVM ${chain} on anvil`, async () => {
    const ledger = await startLedger(chain);
    const repository = await EvmEmrRepository.connect(ledger.settings);
    return {
      repository,
      teardown: async () => {
        await repository.close();
        await ledger.teardown();
      },
    };
  });
}
