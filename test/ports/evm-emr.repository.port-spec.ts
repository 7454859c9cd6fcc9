import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonRpcProvider, Wallet } from 'ethers';
import { ChainName } from '../../src/domain/chain-name';
import {
  ChainUnavailableError,
  DuplicateRecordError,
  IntegrityCheckFailedError,
  PayloadTooLargeError,
} from '../../src/domain/errors';
import { RecordId } from '../../src/domain/record-id';
import { EIP7825_TX_GAS_CAP, maxContentBytes, planUpload } from '../../src/infrastructure/evm/registry/chunk-plan';
import {
  ANVIL_DEV_PRIVATE_KEY,
  EmbeddedLedgers,
  startEmbeddedLedgers,
} from '../../src/infrastructure/evm/anvil/embedded-ledgers';
import { loadOrCreateEmbeddedAccounts } from '../../src/infrastructure/evm/anvil/embedded-accounts';
import { EvmEmrRepository } from '../../src/infrastructure/evm/evm-emr.repository';
import {
  EvmLedgerSettings,
  LedgerMisconfiguredError,
} from '../../src/infrastructure/evm/connection/evm-ledger-settings';
import { EmrRegistry__factory } from '../../typechain-types';
import { describeEmrRepositoryPort, newRecord } from './emr-repository.port-suite';

/** Anvil's second dev account: public test key material, never a writer on the registry. */
const ANVIL_SECOND_DEV_PRIVATE_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const MIB = 1_024 * 1_024;
const GCM_TAG_BYTES = 16;

/** One embedded chain in a throwaway data dir. */
async function startLedger(chain: ChainName): Promise<{
  ledgers: EmbeddedLedgers;
  settings: EvmLedgerSettings;
  adminPrivateKey: string;
  teardown(): Promise<void>;
}> {
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

describe('EvmEmrRepository on anvil', () => {
  let ledger: Awaited<ReturnType<typeof startLedger>>;
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

  describe('startup checks', () => {
    it('refuses a node whose chain id differs from the expected one, naming the ledger', async () => {
      const connecting = EvmEmrRepository.connect({ ...ledger.settings, expectedChainId: 1_337_102 });
      await expect(connecting).rejects.toThrow(LedgerMisconfiguredError);
      await expect(connecting).rejects.toThrow(/supchain.*1337101.*1337102/i);
    });

    it('refuses an address without a registry', async () => {
      const settings = { ...ledger.settings, registryAddress: new Wallet(ANVIL_SECOND_DEV_PRIVATE_KEY).address };
      await expect(EvmEmrRepository.connect(settings)).rejects.toThrow(/no contract at registry address/);
    });

    it('refuses a signer without WRITER_ROLE', async () => {
      const settings = { ...ledger.settings, signerPrivateKey: ANVIL_SECOND_DEV_PRIVATE_KEY };
      await expect(EvmEmrRepository.connect(settings)).rejects.toThrow(/lacks WRITER_ROLE/);
    });

    it('refuses malformed settings without echoing the key', async () => {
      const connecting = EvmEmrRepository.connect({ ...ledger.settings, signerPrivateKey: '0x1234-secret' });
      await expect(connecting).rejects.toThrow(LedgerMisconfiguredError);
      await expect(connecting).rejects.not.toThrow(/secret/);
    });
  });

  describe('when the RPC is down or stalls', () => {
    let stalled: Server;
    let stalledUrl: string;

    beforeAll(async () => {
      // Accepts connections, never answers: the worst kind of dead node.
      stalled = createServer(() => undefined);
      await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
      stalledUrl = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      stalled.closeAllConnections();
      await new Promise((resolve) => stalled.close(resolve));
    });

    it('fails to connect to a refused port with ChainUnavailableError and a retry hint', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));

      const error = await EvmEmrRepository.connect({ ...ledger.settings, rpcUrl: `http://127.0.0.1:${port}` }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ChainUnavailableError);
      expect((error as ChainUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
      expect((error as Error).message).toMatch(/SUPchain/);
      expect((error as Error).message).not.toContain(String(port));
    });

    it('gives up on a stalled RPC within timeoutMs', async () => {
      const started = Date.now();
      await expect(
        EvmEmrRepository.connect({ ...ledger.settings, rpcUrl: stalledUrl, timeoutMs: 500 }),
      ).rejects.toThrow(ChainUnavailableError);
      expect(Date.now() - started).toBeLessThan(1_500);
    });

    it('can start while the RPC is unreachable, then answers ChainUnavailableError and reports down', async () => {
      const offline = await EvmEmrRepository.connect(
        { ...ledger.settings, rpcUrl: stalledUrl, timeoutMs: 400 },
        { allowUnreachableAtStart: true },
      );
      try {
        const started = Date.now();
        await expect(offline.latest(randomBytes(32))).rejects.toThrow(ChainUnavailableError);
        await expect(offline.append(newRecord(randomBytes(32), 10))).rejects.toThrow(ChainUnavailableError);
        expect(await offline.health()).toEqual({ status: 'down', chainId: null, blockNumber: null });
        expect(Date.now() - started).toBeLessThan(4 * 400 + 1_000);
      } finally {
        await offline.close();
      }
    });

    it('times out reads and writes when a connected node stalls mid-flight', async () => {
      const proxy = await startFreezableProxy(ledger.settings.rpcUrl);
      const flaky = await EvmEmrRepository.connect({ ...ledger.settings, rpcUrl: proxy.url, timeoutMs: 500 });
      try {
        const patient = randomBytes(32);
        await flaky.append(newRecord(patient, 100));
        proxy.freeze();
        let started = Date.now();
        await expect(flaky.list(patient, { limit: 10 })).rejects.toThrow(ChainUnavailableError);
        expect(Date.now() - started).toBeLessThan(1_500);
        started = Date.now();
        await expect(flaky.append(newRecord(patient, 100))).rejects.toThrow(ChainUnavailableError);
        expect(Date.now() - started).toBeLessThan(2_500);
        expect((await flaky.health()).status).toBe('down');
      } finally {
        proxy.thaw();
        await flaky.close();
        await proxy.close();
      }
    });
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

    it('puts appends made together into shared blocks (one broadcast round)', async () => {
      const patient = randomBytes(32);
      const stored = await Promise.all(Array.from({ length: 16 }, () => repository.append(newRecord(patient, 1_000))));
      expect(new Set(stored.map((record) => record.blockNumber)).size).toBeLessThan(16);
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

/** An HTTP JSON-RPC pass-through that can be made to hang, to simulate a node stalling mid-flight. */
async function startFreezableProxy(target: string) {
  let frozen = false;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const body: Buffer[] = [];
    request.on('data', (part: Buffer) => body.push(part));
    request.on('end', () => {
      if (frozen) return;
      void fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(body) })
        .then(async (upstream) => {
          response.writeHead(upstream.status, { 'content-type': 'application/json' });
          response.end(Buffer.from(await upstream.arrayBuffer()));
        })
        .catch(() => response.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    freeze: () => {
      frozen = true;
    },
    thaw: () => {
      frozen = false;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
