import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Wallet } from 'ethers';
import {
  ANVIL_DEV_PRIVATE_KEY,
  EMBEDDED_CHAIN_IDS,
  startEmbeddedLedgers,
} from '../../../src/infrastructure/evm/anvil/embedded-ledgers';
import { EvmEmrRepository } from '../../../src/infrastructure/evm/evm-emr.repository';
import { EvmLogger } from '../../../src/infrastructure/evm/connection/evm-ledger-settings';
import { RegistryDeployment } from '../../../src/infrastructure/evm/anvil/registry-deployment';
import { newRecord } from '../../ports/emr-repository.port-suite';
import { isAlive, readAnvilPid } from '../../support/anvil';

function capturingLogger(): EvmLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    log: (message) => lines.push(message),
    warn: (message) => lines.push(`WARN ${message}`),
    error: (message) => lines.push(`ERROR ${message}`),
  };
}

/** Runs startEmbeddedLedgers in a separate Node process, as the service would; resolves once its chains are up. */
async function chainsInChildProcess(dataDir: string) {
  const script = `
      require('ts-node/register/transpile-only');
      const { startEmbeddedLedgers } = require(${JSON.stringify(resolve('src/infrastructure/evm/anvil/embedded-ledgers'))});
      startEmbeddedLedgers({ dataDir: ${JSON.stringify(dataDir)} }).then(() => console.log('READY'));
      setInterval(() => undefined, 1000);
    `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signalName) => done({ code, signal: signalName })),
  );
  await new Promise<void>((ready, fail) => {
    child.stdout!.on('data', (text: Buffer) => {
      if (text.toString().includes('READY')) ready();
    });
    void exited.then(() => fail(new Error('the child exited before its chains were ready')));
  });
  const pids = ['supchain', 'medchain'].map((chain) => readAnvilPid(dataDir, chain));
  return { child, exited, pids };
}

describe('startEmbeddedLedgers', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'emr-embedded-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts both chains with distinct ids, deploys a registry on each and records it', async () => {
    const logger = capturingLogger();
    const ledgers = await startEmbeddedLedgers({ dataDir, logger, handleProcessSignals: false });
    try {
      expect(ledgers.settings.map((s) => [s.chain, s.expectedChainId])).toEqual([
        ['supchain', EMBEDDED_CHAIN_IDS.supchain],
        ['medchain', EMBEDDED_CHAIN_IDS.medchain],
      ]);
      for (const settings of ledgers.settings) {
        expect(settings.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(settings.confirmations).toBe(1);
        const deployment = JSON.parse(
          await readFile(join(dataDir, 'chains', settings.chain, 'deployment.json'), 'utf8'),
        ) as RegistryDeployment;
        expect(deployment).toMatchObject({
          network: settings.chain,
          chainId: settings.expectedChainId,
          registryAddress: settings.registryAddress,
          accessRegistryAddress: settings.accessRegistryAddress,
          // The chain's own accounts: the admin deploys, the service's signer writes; no anvil dev account.
          writers: [new Wallet(settings.signerPrivateKey).address],
          admin: deployment.deployer,
        });
        expect(deployment.admin).not.toBe(deployment.writers[0]);
        expect(deployment.admin).not.toBe(new Wallet(ANVIL_DEV_PRIVATE_KEY).address);
        expect(deployment.registryCodeHash).toMatch(/^0x[0-9a-f]{64}$/);
        const repository = await EvmEmrRepository.connect(settings);
        expect((await repository.health()).status).toBe('up');
        await repository.close();
      }
    } finally {
      await ledgers.stop();
    }
    // Anvil prints the dev keys on startup; none of it may reach the logs.
    expect(logger.lines.join('\n')).not.toContain(ANVIL_DEV_PRIVATE_KEY.slice(2));
    expect(logger.lines.join('\n')).not.toMatch(/Private Keys|Mnemonic/);
  });

  it('keeps records and the registry across a restart', async () => {
    const first = await startEmbeddedLedgers({ dataDir, chains: ['supchain'], handleProcessSignals: false });
    const patient = randomBytes(32);
    const draft = newRecord(patient, 50_000);
    let registry: string;
    try {
      registry = first.settings[0].registryAddress;
      const repository = await EvmEmrRepository.connect(first.settings[0]);
      await repository.append(draft);
      await repository.close();
    } finally {
      await first.stop();
    }
    expect(existsSync(join(dataDir, 'chains', 'supchain', 'state.json'))).toBe(true);

    const logger = capturingLogger();
    const second = await startEmbeddedLedgers({ dataDir, chains: ['supchain'], logger, handleProcessSignals: false });
    try {
      expect(second.settings[0].registryAddress).toBe(registry);
      expect(logger.lines.join('\n')).toMatch(/reusing registry/);
      const repository = await EvmEmrRepository.connect(second.settings[0]);
      const found = await repository.findById(patient, draft.recordId);
      expect(Buffer.from(await repository.readContent(found!)).equals(draft.content)).toBe(true);
      expect((await repository.append(newRecord(patient, 10))).version).toBe(2);
      await repository.close();
    } finally {
      await second.stop();
    }
  });

  it('redeploys, and says so, when the chain state was lost', async () => {
    const first = await startEmbeddedLedgers({ dataDir, chains: ['medchain'], handleProcessSignals: false });
    const patient = randomBytes(32);
    try {
      const repository = await EvmEmrRepository.connect(first.settings[0]);
      await repository.append(newRecord(patient, 10));
      await repository.close();
    } finally {
      await first.stop();
    }
    await rm(join(dataDir, 'chains', 'medchain', 'state.json'));

    const logger = capturingLogger();
    const second = await startEmbeddedLedgers({ dataDir, chains: ['medchain'], logger, handleProcessSignals: false });
    try {
      expect(logger.lines.join('\n')).toMatch(/WARN .*not on the chain.*deploying a new registry/);
      const repository = await EvmEmrRepository.connect(second.settings[0]);
      expect(await repository.latest(patient)).toBeNull();
      await repository.close();
    } finally {
      await second.stop();
    }
  });

  it('refuses a second instance on the same data directory', async () => {
    const first = await startEmbeddedLedgers({ dataDir, chains: ['supchain'], handleProcessSignals: false });
    try {
      await expect(
        startEmbeddedLedgers({ dataDir, chains: ['supchain'], handleProcessSignals: false }),
      ).rejects.toThrow(/already running/);
    } finally {
      await first.stop();
    }
    const again = await startEmbeddedLedgers({ dataDir, chains: ['supchain'], handleProcessSignals: false });
    await again.stop();
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'stops the chains and writes their state when the parent gets %s',
    async (signal) => {
      const { child, exited, pids } = await chainsInChildProcess(dataDir);
      expect(pids.every(isAlive)).toBe(true);

      child.kill(signal);
      const outcome = await exited;

      expect(outcome.signal).toBe(signal);
      expect(pids.some(isAlive)).toBe(false);
      for (const chain of ['supchain', 'medchain']) {
        const state = JSON.parse(await readFile(join(dataDir, 'chains', chain, 'state.json'), 'utf8')) as object;
        expect(Object.keys(state).length).toBeGreaterThan(0);
        expect(existsSync(join(dataDir, 'chains', chain, 'anvil.pid'))).toBe(false);
      }
    },
    60_000,
  );

  it('after the service was SIGKILLed, stops its orphaned chains (state written) and starts where they were', async () => {
    const { child, exited, pids } = await chainsInChildProcess(dataDir);
    const registries = await Promise.all(
      ['supchain', 'medchain'].map(
        async (chain) =>
          (JSON.parse(await readFile(join(dataDir, 'chains', chain, 'deployment.json'), 'utf8')) as RegistryDeployment)
            .registryAddress,
      ),
    );
    child.kill('SIGKILL');
    await exited;
    // No shutdown hook ran: the chains outlive the service that started them.
    expect(pids.every(isAlive)).toBe(true);

    const logger = capturingLogger();
    const again = await startEmbeddedLedgers({ dataDir, logger, handleProcessSignals: false });
    try {
      expect(pids.some(isAlive)).toBe(false);
      expect(logger.lines.join('\n')).toMatch(/WARN .*outlived the service that started it/);
      // The orphans wrote their state on SIGTERM: the registries deployed before the crash are still there.
      expect(again.settings.map((settings) => settings.registryAddress)).toEqual(registries);
      expect(logger.lines.join('\n')).not.toMatch(/deploying a new registry/);
    } finally {
      await again.stop();
    }
  }, 60_000);
});
