import { randomBytes } from 'node:crypto';
import { JsonRpcProvider, Wallet } from 'ethers';
import { DuplicateRecordError, IntegrityCheckFailedError, PayloadTooLargeError } from '../../src/domain/errors';
import { RecordId } from '../../src/domain/record-id';
import { EIP7825_TX_GAS_CAP, maxContentBytes, planUpload } from '../../src/infrastructure/evm/registry/chunk-plan';
import { ANVIL_DEV_PRIVATE_KEY } from '../../src/infrastructure/evm/anvil/embedded-ledgers';
import { EvmEmrRepository } from '../../src/infrastructure/evm/evm-emr.repository';
import { NonceRounds } from '../../src/infrastructure/evm/tx/nonce-rounds';
import { LedgerMisconfiguredError } from '../../src/infrastructure/evm/connection/evm-ledger-settings';
import { EmrRegistry__factory } from '../../typechain-types';
import { ANVIL_SECOND_DEV_PRIVATE_KEY, EmbeddedLedger, startLedger } from '../support/embedded-ledger';
import { newRecord } from './emr-repository.port-suite';

const MIB = 1_024 * 1_024;
const GCM_TAG_BYTES = 16;

/** EvmEmrRepository's writes (transactions, blocks, the gas cap, the writer role) and reads, on one chain. */
describe('EvmEmrRepository on anvil', () => {
  let ledger: EmbeddedLedger;
  let repository: EvmEmrRepository;
  let provider: JsonRpcProvider;

  beforeAll(async () => {
    ledger = await startLedger('supchain');
    repository = await EvmEmrRepository.connect(ledger.settings);
    // No response cache: a count read twice within ethers' default 250 ms would be answered from memory.
    provider = new JsonRpcProvider(ledger.settings.rpcUrl, ledger.settings.expectedChainId, {
      staticNetwork: true,
      cacheTimeout: -1,
    });
  });

  afterAll(async () => {
    provider?.destroy();
    await repository?.close();
    await ledger?.teardown();
  });

  describe('writes', () => {
    it('returns every transaction that wrote the record and the commit block', async () => {
      const draft = newRecord(randomBytes(32), 200_000);
      const stored = await repository.append(draft);
      const plan = planUpload(200_000, draft.sealedHeader.length + draft.keyEnvelope.length + draft.signature.length);

      expect(stored.transactions).toHaveLength(plan.batches.length + 1);
      const receipts = await Promise.all(stored.transactions.map((hash) => provider.getTransactionReceipt(hash)));
      expect(receipts.every((receipt) => receipt?.status === 1)).toBe(true);
      expect(stored.blockNumber).toBe(receipts[receipts.length - 1]!.blockNumber);
      expect(stored.contentLocation).toHaveLength(plan.chunks.length);
      expect(stored.writer).toBe(repository.signerAddress);
    });

    it('sequences 64 concurrent appends through one signer: 64 records, no nonce collisions', async () => {
      const patient = randomBytes(32);
      const drafts = Array.from({ length: 64 }, (_, i) => newRecord(patient, i % 8 === 0 ? 80_000 : 1_000));
      const nonceBefore = await provider.getTransactionCount(repository.signerAddress);

      const stored = await Promise.all(drafts.map((draft) => repository.append(draft)));

      expect(stored.map((record) => record.version).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 64 }, (_, i) => i + 1),
      );
      const transactions = stored.flatMap((record) => record.transactions);
      expect(new Set(transactions).size).toBe(transactions.length);
      expect(await provider.getTransactionCount(repository.signerAddress)).toBe(nonceBefore + transactions.length);
      const listed = await repository.list(patient, { limit: 100 });
      expect(listed).toHaveLength(64);
      for (const draft of drafts.filter((_, i) => i % 8 === 0)) {
        const found = await repository.findById(patient, draft.recordId);
        expect(Buffer.from(await repository.readContent(found!)).equals(draft.content)).toBe(true);
      }
    }, 120_000);

    it('lets exactly one of two racing appends of the same record id win', async () => {
      const patient = randomBytes(32);
      const draft = newRecord(patient, 60_000);
      const rival = { ...newRecord(patient, 60_000), recordId: draft.recordId };
      const outcomes = await Promise.allSettled([repository.append(draft), repository.append(rival)]);

      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const [failure] = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      expect(failure.reason).toBeInstanceOf(DuplicateRecordError);
      expect(await repository.list(patient, { limit: 10 })).toHaveLength(1);
    });

    it('round-trips 10 MiB with no transaction over the 16,777,216 gas cap', async () => {
      const patient = randomBytes(32);
      const draft = newRecord(patient, 10 * MIB + GCM_TAG_BYTES);
      const stored = await repository.append(draft);

      for (const hash of stored.transactions) {
        const [tx, receipt] = await Promise.all([provider.getTransaction(hash), provider.getTransactionReceipt(hash)]);
        expect(Number(tx!.gasLimit)).toBeLessThanOrEqual(EIP7825_TX_GAS_CAP);
        expect(receipt!.gasUsed).toBeLessThanOrEqual(tx!.gasLimit);
      }
      const found = await repository.latest(patient);
      expect(found!.recordId.hex).toBe(draft.recordId.hex);
      // Buffer#equals: jest's toEqual walks 10 M elements one by one and takes minutes.
      expect(Buffer.from(await repository.readContent(found!)).equals(draft.content)).toBe(true);
    }, 120_000);

    it('runs on a node that refuses transactions over the cap (anvil --enable-tx-gas-limit)', async () => {
      const wallet = new Wallet(ANVIL_DEV_PRIVATE_KEY, provider);
      await expect(wallet.sendTransaction({ to: wallet.address, gasLimit: EIP7825_TX_GAS_CAP + 1 })).rejects.toThrow(
        /cap|gas limit/i,
      );
    });

    it('returns the record exactly as the registry then serves it, for one and for several transactions', async () => {
      for (const size of [1_000, 200_000]) {
        const draft = newRecord(randomBytes(32), size);
        const stored = await repository.append(draft);
        const found = await repository.findById(draft.patientKey, draft.recordId);
        expect({ ...stored, transactions: [] }).toEqual(found);
      }
    });

    it('puts appends made together into shared broadcast rounds (one JSON-RPC batch each)', async () => {
      // Counted at the sender, not by blocks: whether anvil mines a batch into one block or several
      // is its own timing (16 blocks for one batch was seen under load), not the sender's grouping.
      const rounds = jest.spyOn(
        NonceRounds.prototype as unknown as { broadcastRound(): Promise<void> },
        'broadcastRound',
      );
      const patient = randomBytes(32);
      const stored = await Promise.all(Array.from({ length: 16 }, () => repository.append(newRecord(patient, 1_000))));
      expect(rounds.mock.calls.length).toBeGreaterThan(0);
      expect(rounds.mock.calls.length).toBeLessThan(16);
      rounds.mockRestore();
      expect(stored.map((record) => record.version).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 16 }, (_, i) => i + 1),
      );
    });

    it('names a revoked WRITER_ROLE: before any chunk is paid for, and from a reverted commit', async () => {
      // The registry's admin (the chain's own admin account), on a provider without a response
      // cache so its nonces are read fresh.
      const adminProvider = new JsonRpcProvider(ledger.settings.rpcUrl, ledger.settings.expectedChainId, {
        staticNetwork: true,
        cacheTimeout: -1,
      });
      const admin = new Wallet(ledger.adminPrivateKey, adminProvider);
      const registry = EmrRegistry__factory.connect(repository.registryAddress, admin);
      const writer = new Wallet(ANVIL_SECOND_DEV_PRIVATE_KEY);
      const role = await registry.WRITER_ROLE();
      await (await registry.grantRole(role, writer.address)).wait();
      const second = await EvmEmrRepository.connect({
        ...ledger.settings,
        signerPrivateKey: ANVIL_SECOND_DEV_PRIVATE_KEY,
      });
      try {
        await (await registry.revokeRole(role, writer.address)).wait();
        const nonceBefore = await adminProvider.getTransactionCount(writer.address);

        // Several transactions: the dry run of the first storeChunks refuses it, nothing is sent.
        const large = newRecord(randomBytes(32), 200_000);
        await expect(second.append(large)).rejects.toThrow(LedgerMisconfiguredError);
        expect(await adminProvider.getTransactionCount(writer.address)).toBe(nonceBefore);

        // One transaction: the commit is sent without a dry run, reverts, and the replay names why.
        const small = newRecord(randomBytes(32), 1_000);
        await expect(second.append(small)).rejects.toThrow(/lacks WRITER_ROLE/);
        expect(await adminProvider.getTransactionCount(writer.address)).toBe(nonceBefore + 1);
        expect(await repository.findById(small.patientKey, small.recordId)).toBeNull();
      } finally {
        await second.close();
        adminProvider.destroy();
      }
    });

    it('refuses content too large for one manifest before sending anything', async () => {
      const draft = { ...newRecord(randomBytes(32), 0), keyEnvelope: randomBytes(24_000) };
      const fields = draft.sealedHeader.length + draft.keyEnvelope.length + draft.signature.length;
      const tooLarge = { ...draft, content: new Uint8Array(maxContentBytes(fields) + 1) };
      const nonceBefore = await provider.getTransactionCount(repository.signerAddress);
      await expect(repository.append(tooLarge)).rejects.toThrow(PayloadTooLargeError);
      expect(await provider.getTransactionCount(repository.signerAddress)).toBe(nonceBefore);
    });
  });

  describe('reads', () => {
    it('refuses content locations that are not registry chunks', async () => {
      const stored = await repository.append(newRecord(randomBytes(32), 100));
      await expect(
        repository.readContent({ ...stored, contentLocation: [repository.registryAddress] }),
      ).rejects.toThrow(IntegrityCheckFailedError);
      await expect(repository.readContent({ ...stored, contentLength: 99 })).rejects.toThrow(IntegrityCheckFailedError);
    });

    it('does not reveal a record to another patient key', async () => {
      const draft = newRecord(randomBytes(32), 10);
      await repository.append(draft);
      expect(await repository.findById(randomBytes(32), RecordId.fromBytes(draft.recordId.bytes))).toBeNull();
    });

    it('reports chain id and height', async () => {
      const height = Number(await provider.send('eth_blockNumber', []));
      const health = await repository.health();
      expect(health.status).toBe('up');
      expect(health.chainId).toBe(1_337_101);
      expect(health.blockNumber).toBeGreaterThanOrEqual(height);
    });
  });
});
