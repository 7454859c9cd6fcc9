import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainName } from '../../src/domain/chain-name';
import { loadOrCreateEmbeddedAccounts } from '../../src/infrastructure/evm/anvil/embedded-accounts';
import { EmbeddedLedgers, startEmbeddedLedgers } from '../../src/infrastructure/evm/anvil/embedded-ledgers';
import { EvmLedgerSettings } from '../../src/infrastructure/evm/connection/evm-ledger-settings';

/** Anvil's second dev account: public test key material, never a writer on the registry. */
export const ANVIL_SECOND_DEV_PRIVATE_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

export interface EmbeddedLedger {
  ledgers: EmbeddedLedgers;
  settings: EvmLedgerSettings;
  adminPrivateKey: string;
  teardown(): Promise<void>;
}

/** One embedded chain in a throwaway data dir. */
export async function startLedger(chain: ChainName): Promise<EmbeddedLedger> {
  const dataDir = await mkdtemp(join(tmpdir(), `emr-evm-${chain}-`));
  const ledgers = await startEmbeddedLedgers({ dataDir, chains: [chain], handleProcessSignals: false });
  return {
    ledgers,
    settings: ledgers.settings[0],
    // The chain's own admin (DEFAULT_ADMIN_ROLE), generated with the chain; anvil's dev accounts hold no role.
    adminPrivateKey: loadOrCreateEmbeddedAccounts(join(dataDir, 'chains', chain)).adminPrivateKey,
    teardown: async () => {
      await ledgers.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
