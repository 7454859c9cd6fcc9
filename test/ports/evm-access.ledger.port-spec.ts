import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmbeddedLedgers } from '../../src/infrastructure/evm/anvil/embedded-ledgers';
import { EvmEmrRepository } from '../../src/infrastructure/evm/evm-emr.repository';
import { describeAccessLedgerPort } from './access-ledger.port-suite';
import { newRecord } from './emr-repository.port-suite';

describeAccessLedgerPort('EVM PatientAccessRegistry on anvil', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'emr-evm-access-'));
  const ledgers = await startEmbeddedLedgers({ dataDir, chains: ['medchain'], handleProcessSignals: false });
  const repository = await EvmEmrRepository.connect(ledgers.settings[0]);
  return {
    ledger: repository.accessLedger(),
    teardown: async () => {
      await repository.close();
      await ledgers.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

describe('EvmAccessLedger beside EvmEmrRepository', () => {
  it('shares one signer queue: concurrent record and access writes never collide on a nonce', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'emr-evm-access-'));
    const ledgers = await startEmbeddedLedgers({ dataDir, chains: ['supchain'], handleProcessSignals: false });
    const repository = await EvmEmrRepository.connect(ledgers.settings[0]);
    const access = repository.accessLedger();
    try {
      const patient = randomBytes(32);
      await Promise.all([
        ...Array.from({ length: 6 }, () => repository.append(newRecord(patient, 100))),
        ...Array.from({ length: 6 }, () => access.grantConsent(patient, randomBytes(32), null)),
        access.publishPublicKey(patient, randomBytes(65)),
      ]);
      expect((await repository.list(patient, { limit: 100 })).length).toBe(6);
      expect((await access.consentsOf(patient)).length).toBe(6);
    } finally {
      await repository.close();
      await ledgers.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
