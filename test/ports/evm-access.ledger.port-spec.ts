import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { JsonRpcProvider } from 'ethers';
import { startEmbeddedLedgers } from '../../src/infrastructure/evm/anvil/embedded-ledgers';
import { EvmEmrRepository } from '../../src/infrastructure/evm/evm-emr.repository';
import { ValidationFailedError } from '../../src/domain/errors';
import { MAX_KEY_ENVELOPE_BYTES } from '../../src/domain/ports/access-ledger.port';
import { EvmAccessLedger } from '../../src/infrastructure/evm/evm-access.ledger';
import { describeAccessLedgerPort, newRecordId, recordKey } from './access-ledger.port-suite';
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
  afterEach(() => jest.restoreAllMocks());

  // Two queues on one account would hand out a nonce twice; the node refuses the second copy and
  // the sender retries it, so both writes still land. What gives a second queue away is the refused
  // broadcast: with one queue, every raw transaction sent is mined, at consecutive nonces.
  it('shares one signer queue: concurrent record and access writes never collide on a nonce', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'emr-evm-access-'));
    const ledgers = await startEmbeddedLedgers({ dataDir, chains: ['supchain'], handleProcessSignals: false });
    const repository = await EvmEmrRepository.connect(ledgers.settings[0]);
    const access = repository.accessLedger();
    const observer = new JsonRpcProvider(repository.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const patient = randomBytes(32);
      // One write through each adapter first: a queue of its own would now hold a nonce the other took.
      await repository.append(newRecord(patient, 100));
      await access.publishPublicKey(patient, randomBytes(65));
      const nonceBefore = await observer.getTransactionCount(repository.signerAddress, 'latest');
      const send = jest.spyOn(JsonRpcProvider.prototype, 'send');
      await Promise.all([
        ...Array.from({ length: 5 }, () => repository.append(newRecord(patient, 100))),
        ...Array.from({ length: 6 }, () => access.publishPublicKey(randomBytes(32), randomBytes(65))),
        access.publishPublicKey(patient, randomBytes(65)),
      ]);
      const broadcasts = send.mock.calls.filter(([method]) => method === 'eth_sendRawTransaction').length;
      send.mockRestore();
      expect((await repository.list(patient, { limit: 100 })).length).toBe(6);
      const mined = (await observer.getTransactionCount(repository.signerAddress, 'latest')) - nonceBefore;
      expect(broadcasts).toBeGreaterThanOrEqual(12);
      expect(broadcasts).toBe(mined);
    } finally {
      observer.destroy();
      await repository.close();
      await ledgers.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('EvmAccessLedger record keys on the wire', () => {
  let dataDir: string;
  let ledgers: Awaited<ReturnType<typeof startEmbeddedLedgers>>;
  let repository: EvmEmrRepository;
  let access: EvmAccessLedger;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'emr-evm-record-keys-'));
    ledgers = await startEmbeddedLedgers({ dataDir, chains: ['supchain'], handleProcessSignals: false });
    repository = await EvmEmrRepository.connect(ledgers.settings[0]);
    access = repository.accessLedger();
    // The first call checks the chain and the registry: done here so the spies below see only the calls under test.
    await access.recordKeysOf(randomBytes(32), newRecordId());
  });

  afterAll(async () => {
    await repository?.close();
    await ledgers?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  afterEach(() => jest.restoreAllMocks());

  const rpcMethods = () => {
    const send = jest.spyOn(JsonRpcProvider.prototype, 'send');
    return () => send.mock.calls.map(([method]) => method);
  };

  it('refuses malformed batches before asking the node anything', async () => {
    const patient = randomBytes(32);
    const recordId = newRecordId();
    const methods = rpcMethods();
    await expect(access.addRecordKeys([])).rejects.toThrow(ValidationFailedError);
    await expect(access.addRecordKeys([recordKey(patient, recordId, new Uint8Array(0))])).rejects.toThrow(
      ValidationFailedError,
    );
    await expect(
      access.addRecordKeys([recordKey(patient, recordId, randomBytes(MAX_KEY_ENVELOPE_BYTES + 1))]),
    ).rejects.toThrow(ValidationFailedError);
    expect(methods()).toEqual([]);
  });

  it('writes 20 one-slot envelopes in one transaction', async () => {
    const patient = randomBytes(32);
    const entries = Array.from({ length: 20 }, () => recordKey(patient, newRecordId()));
    const methods = rpcMethods();
    await access.addRecordKeys(entries);
    expect(methods().filter((method) => method === 'eth_sendRawTransaction')).toHaveLength(1);
    const stored = await Promise.all(entries.map((entry) => access.recordKeysOf(patient, entry.recordId)));
    expect(stored.map((envelopes) => Buffer.from(envelopes[0]).toString('hex'))).toEqual(
      entries.map((entry) => Buffer.from(entry.keyEnvelope).toString('hex')),
    );
  });

  it('splits a batch past the per-transaction gas cap into as few transactions as fit, in order', async () => {
    const patient = randomBytes(32);
    const recordId = newRecordId();
    // 4 of the largest envelopes fit in one transaction under the EIP-7825 cap, 6 do not.
    const entries = Array.from({ length: 6 }, () => recordKey(patient, recordId, randomBytes(MAX_KEY_ENVELOPE_BYTES)));
    const methods = rpcMethods();
    await access.addRecordKeys(entries);
    expect(methods().filter((method) => method === 'eth_sendRawTransaction')).toHaveLength(2);
    const stored = await access.recordKeysOf(patient, recordId);
    expect(stored.map((envelope) => Buffer.from(envelope).toString('hex'))).toEqual(
      entries.map((entry) => Buffer.from(entry.keyEnvelope).toString('hex')),
    );
  });
});
