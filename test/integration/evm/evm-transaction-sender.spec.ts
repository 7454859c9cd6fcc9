import { JsonRpcProvider, Wallet } from 'ethers';
import { AnvilProcess, startAnvil } from '../../../src/infrastructure/evm/anvil/anvil-process';
import { ANVIL_DEV_PRIVATE_KEY } from '../../../src/infrastructure/evm/anvil/embedded-ledgers';
import { TransactionSender } from '../../../src/infrastructure/evm/tx/transaction-sender';

const CHAIN_ID = 1_337_301;
const STUCK_AFTER_MS = 300;

describe('TransactionSender on anvil with mining paused', () => {
  let anvil: AnvilProcess;
  let provider: JsonRpcProvider;

  beforeAll(async () => {
    anvil = await startAnvil({ chainId: CHAIN_ID });
    provider = new JsonRpcProvider(anvil.rpcUrl, CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
  });

  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
  });

  it('replaces a stuck transaction (same nonce, higher fees) and returns the mined version', async () => {
    const wallet = new Wallet(ANVIL_DEV_PRIVATE_KEY, provider);
    const sender = new TransactionSender(provider, wallet, BigInt(CHAIN_ID), STUCK_AFTER_MS);
    await provider.send('evm_setAutomine', [false]);
    try {
      const nonceBefore = await provider.getTransactionCount(wallet.address, 'latest');
      const original = await sender.send(
        { to: Wallet.createRandom().address, data: new Uint8Array(0), gasLimit: 21_000 },
        Date.now() + 10_000,
      );
      const waiting = sender.waitForReceipt(original, 1, Date.now() + 15_000);

      // Let the sender notice the transaction is stuck and broadcast its replacement, then mine.
      await new Promise((resolve) => setTimeout(resolve, STUCK_AFTER_MS * 4));
      const pool = (await provider.send('txpool_content', [])) as {
        pending: Record<string, Record<string, { hash: string }>>;
      };
      const pending = Object.values(pool.pending).flatMap((byNonce) => Object.values(byNonce));
      expect(pending).toHaveLength(1);
      expect(pending[0].hash).not.toBe(original);
      await provider.send('evm_mine', []);

      const receipt = await waiting;
      expect(receipt).not.toBeNull();
      expect(receipt!.status).toBe(1);
      expect(receipt!.hash).not.toBe(original);
      expect(await provider.getTransactionCount(wallet.address, 'latest')).toBe(nonceBefore + 1);
      expect(await provider.getTransactionReceipt(original)).toBeNull();
    } finally {
      await provider.send('evm_setAutomine', [true]);
    }
  });

  it('does not replace a transaction that is mined in time', async () => {
    const wallet = new Wallet(ANVIL_DEV_PRIVATE_KEY, provider);
    const sender = new TransactionSender(provider, wallet, BigInt(CHAIN_ID), STUCK_AFTER_MS);
    const hash = await sender.send(
      { to: Wallet.createRandom().address, data: new Uint8Array(0), gasLimit: 21_000 },
      Date.now() + 10_000,
    );
    const receipt = await sender.waitForReceipt(hash, 1, Date.now() + 10_000);
    expect(receipt?.hash).toBe(hash);
  });
});
