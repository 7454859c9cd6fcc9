import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedLedgers } from '../../../src/infrastructure/evm/anvil/embedded-ledgers';
import { EvmEmrRepository } from '../../../src/infrastructure/evm/evm-emr.repository';
import { newRecord } from '../../ports/emr-repository.port-suite';

describe('EvmEmrRepository.withTransactions', () => {
  it('#11.19 reads back exactly the transactions the upload answer listed (chunks, then the commit)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'emr-evm-tx-'));
    const ledgers = await startEmbeddedLedgers({ dataDir, chains: ['supchain'], handleProcessSignals: false });
    const repository = await EvmEmrRepository.connect(ledgers.settings[0]);
    try {
      const patient = randomBytes(32);
      const small = await repository.append(newRecord(patient, 100));
      const large = await repository.append(newRecord(patient, 200_000));
      expect(large.transactions.length).toBeGreaterThan(1);

      const listed = await repository.list(patient, { limit: 10 });
      expect(listed.map((record) => record.transactions)).toEqual([[], []]);
      const read = await repository.withTransactions(listed);
      expect(read.map((record) => record.transactions)).toEqual([large.transactions, small.transactions]);
      const found = await repository.findById(patient, large.recordId);
      expect((await repository.withTransactions([found!]))[0].transactions).toEqual(large.transactions);
    } finally {
      await repository.close();
      await ledgers.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
