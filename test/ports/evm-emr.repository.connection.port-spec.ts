import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Wallet } from 'ethers';
import { ChainUnavailableError } from '../../src/domain/errors';
import { EvmEmrRepository } from '../../src/infrastructure/evm/evm-emr.repository';
import { LedgerMisconfiguredError } from '../../src/infrastructure/evm/connection/evm-ledger-settings';
import { ANVIL_SECOND_DEV_PRIVATE_KEY, EmbeddedLedger, startLedger } from '../support/embedded-ledger';
import { startFreezableProxy } from '../support/freezable-rpc-proxy';
import { newRecord } from './emr-repository.port-suite';

/** EvmEmrRepository.connect: the checks it makes at startup, and how it fails when the RPC is down or stalls. */
describe('EvmEmrRepository on anvil', () => {
  let ledger: EmbeddedLedger;

  beforeAll(async () => {
    ledger = await startLedger('supchain');
  });

  afterAll(async () => {
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
});
