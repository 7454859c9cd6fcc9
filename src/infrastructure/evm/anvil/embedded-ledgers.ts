import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonRpcProvider, keccak256, Wallet } from 'ethers';
import { ChainName, CHAIN_NAMES } from '../../../domain/chain-name';
import { writeFileDurablyAsync } from '../../journal/durable-file';
import { AnvilProcess, startAnvil } from './anvil-process';
import {
  EmbeddedAccounts,
  embeddedProvider,
  fundEmbeddedAccounts,
  loadOrCreateEmbeddedAccounts,
  settleEmbeddedRoles,
} from './embedded-accounts';
import { EvmLedgerSettings, EvmLogger, SILENT_LOGGER } from '../connection/evm-ledger-settings';
import { deployRegistry, RegistryDeployment } from './registry-deployment';

/**
 * Local ledgers for development and demos: one anvil process per chain, state persisted under
 * `<dataDir>/chains/<chain>/`. Each chain has its own writer and admin accounts, generated into
 * `<chainDir>/accounts.json` and funded once by anvil's dev account, which holds no role. Not for
 * production: a real deployment points the adapter at real nodes (see scripts/deploy.ts).
 */

/** Distinct ids, so a transaction signed for one embedded chain is invalid on the other (EIP-155). */
export const EMBEDDED_CHAIN_IDS: Readonly<Record<ChainName, number>> = {
  supchain: 1_337_101,
  medchain: 1_337_102,
};

export { ANVIL_DEV_PRIVATE_KEY } from './embedded-accounts';

const DEFAULT_STATE_INTERVAL_SECONDS = 10;
const DEFAULT_TIMEOUT_MS = 30_000;
/** How long an orphaned anvil gets to write its state and exit before it is killed. */
const ORPHAN_STOP_TIMEOUT_MS = 15_000;
const ORPHAN_POLL_MS = 50;

export interface EmbeddedLedgersOptions {
  /** Root of the service's data; chains live in `<dataDir>/chains/<chain>/`. */
  readonly dataDir: string;
  readonly logger?: EvmLogger;
  /** Default: both ledgers. */
  readonly chains?: readonly ChainName[];
  /** Fixed RPC ports (default: any free port, so two instances never clash). */
  readonly ports?: Partial<Record<ChainName, number>>;
  /** How often anvil also writes its state while running (default 10 s). */
  readonly stateIntervalSeconds?: number;
  /** Becomes each ledger's `timeoutMs` (default 30 s). */
  readonly timeoutMs?: number;
  /**
   * Default true: on SIGINT/SIGTERM stop the chains (so their state is written) and then, if no
   * other handler is listening (e.g. Nest's shutdown hooks), re-raise the signal to exit.
   */
  readonly handleProcessSignals?: boolean;
}

export interface EmbeddedLedgers {
  /** One entry per chain, ready for `EvmEmrRepository.connect`. */
  readonly settings: readonly EvmLedgerSettings[];
  /** Stops every chain (SIGTERM, waits for exit so state is written). Idempotent. */
  stop(): Promise<void>;
}

export async function startEmbeddedLedgers(options: EmbeddedLedgersOptions): Promise<EmbeddedLedgers> {
  const logger = options.logger ?? SILENT_LOGGER;
  const chains = options.chains ?? CHAIN_NAMES;
  const started: { anvil: AnvilProcess; pidFile: string }[] = [];
  let stopping: Promise<void> | null = null;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await Promise.all(
        started.map(async ({ anvil, pidFile }) => {
          await anvil.stop();
          await rm(pidFile, { force: true });
        }),
      );
    })();
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.log(`${signal}: stopping the embedded ledgers.`);
    void stop().finally(() => {
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  };
  if (options.handleProcessSignals ?? true) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }

  try {
    const settings = await Promise.all(
      chains.map(async (chain) => {
        const { anvil, pidFile, settings: chainSettings } = await startChain(chain, options, logger);
        started.push({ anvil, pidFile });
        return chainSettings;
      }),
    );
    return { settings, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function chainDir(dataDir: string, chain: ChainName): string {
  return join(dataDir, 'chains', chain);
}

async function startChain(
  chain: ChainName,
  options: EmbeddedLedgersOptions,
  logger: EvmLogger,
): Promise<{ anvil: AnvilProcess; pidFile: string; settings: EvmLedgerSettings }> {
  const dir = chainDir(options.dataDir, chain);
  const pidFile = join(dir, 'anvil.pid');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const statePath = join(dir, 'state.json');
  await claimPidFile(pidFile, statePath, chain, logger);
  const chainId = EMBEDDED_CHAIN_IDS[chain];
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const anvil = await startAnvil({
    chainId,
    port: options.ports?.[chain] ?? 0,
    statePath,
    stateIntervalSeconds: options.stateIntervalSeconds ?? DEFAULT_STATE_INTERVAL_SECONDS,
    label: chain,
    logger,
  });
  try {
    // "<anvil pid> <service pid>": a later start tells a live sibling from an orphan (see claimPidFile).
    await writeFile(pidFile, `${anvil.pid} ${process.pid}\n`);
    const accounts = loadOrCreateEmbeddedAccounts(dir);
    const provider = embeddedProvider(anvil.rpcUrl, chainId, timeoutMs);
    let deployment: RegistryDeployment;
    try {
      if (await fundEmbeddedAccounts(provider, accounts)) {
        logger.log(`Embedded ${chain}: funded this data directory's writer and admin accounts.`);
      }
      deployment = await ensureRegistry(chain, provider, anvil.rpcUrl, chainId, dir, accounts, timeoutMs, logger);
    } finally {
      provider.destroy();
    }
    return {
      anvil,
      pidFile,
      settings: {
        chain,
        rpcUrl: anvil.rpcUrl,
        registryAddress: deployment.registryAddress,
        accessRegistryAddress: deployment.accessRegistryAddress,
        signerPrivateKey: accounts.writerPrivateKey,
        expectedChainId: chainId,
        // Anvil mines a block as transactions arrive and none otherwise: waiting for more would hang.
        confirmations: 1,
        timeoutMs,
      },
    };
  } catch (error) {
    await anvil.stop();
    await rm(pidFile, { force: true });
    throw error;
  }
}

/**
 * Refuses to start a second anvil on the same state file (it would be overwritten at exit) while
 * the service that started the first one is alive. A service killed without its shutdown hooks
 * (SIGKILL, out of memory) leaves its anvil running with the whole chain in memory: that orphan is
 * stopped with SIGTERM, which makes it write its state file, so the new anvil starts where the
 * old one was. A pid that now belongs to another program is ignored.
 */
async function claimPidFile(path: string, statePath: string, chain: ChainName, logger: EvmLogger): Promise<void> {
  const [anvilPid, ownerPid] = (await readFile(path, 'utf8').catch(() => ''))
    .trim()
    .split(/\s+/)
    .map((field) => Number(field));
  if (!isPid(anvilPid) || !isAlive(anvilPid)) return;
  // A pid file without its owner (written before owners were recorded) cannot tell: refuse as before.
  if (!isPid(ownerPid) || isAlive(ownerPid)) {
    throw new Error(`The embedded ${chain} ledger is already running (anvil pid ${anvilPid}, ${path}).`);
  }
  const commandLine = await readFile(`/proc/${anvilPid}/cmdline`, 'utf8').catch(() => '');
  if (!commandLine.includes('anvil') || !commandLine.includes(statePath)) return;
  logger.warn(
    `The embedded ${chain} ledger (anvil pid ${anvilPid}) outlived the service that started it; ` +
      'stopping it so it writes its state, then starting afresh.',
  );
  process.kill(anvilPid, 'SIGTERM');
  const deadline = Date.now() + ORPHAN_STOP_TIMEOUT_MS;
  while (isAlive(anvilPid)) {
    if (Date.now() > deadline) {
      logger.warn(
        `anvil pid ${anvilPid} did not stop within ${ORPHAN_STOP_TIMEOUT_MS} ms; killing it (state may be stale).`,
      );
      process.kill(anvilPid, 'SIGKILL');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, ORPHAN_POLL_MS));
  }
}

function isPid(value: number | undefined): value is number {
  return value !== undefined && Number.isInteger(value) && value > 0;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by a parent that does not wait) still answers signal 0.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Reuses the registry recorded in deployment.json if its code is still on the chain (its roles
 * settled on this chain's own accounts), otherwise (first start, or the state file was lost)
 * deploys one from the admin account, the writer holding WRITER_ROLE, and records it.
 */
async function ensureRegistry(
  chain: ChainName,
  provider: JsonRpcProvider,
  rpcUrl: string,
  chainId: number,
  dir: string,
  accounts: EmbeddedAccounts,
  timeoutMs: number,
  logger: EvmLogger,
): Promise<RegistryDeployment> {
  const path = join(dir, 'deployment.json');
  const recorded = await readDeployment(path);
  if (recorded) {
    const code = await provider.getCode(recorded.registryAddress);
    const accessCode = recorded.accessRegistryAddress ? await provider.getCode(recorded.accessRegistryAddress) : '0x';
    if (
      recorded.chainId === chainId &&
      code !== '0x' &&
      keccak256(code) === recorded.registryCodeHash &&
      accessCode !== '0x' &&
      keccak256(accessCode) === recorded.accessRegistryCodeHash
    ) {
      const settled = await settleEmbeddedRoles(provider, recorded, accounts, logger);
      if (settled !== recorded) await writeFileDurablyAsync(path, `${JSON.stringify(settled, null, 2)}\n`);
      logger.log(`Embedded ${chain}: reusing registry ${recorded.registryAddress}.`);
      return settled;
    }
    logger.warn(
      `Embedded ${chain}: registry ${recorded.registryAddress} from ${path} is not on the chain ` +
        `(state file lost or reset); deploying a new registry. Records written before are no longer on this ledger.`,
    );
  }
  const deployment = await deployRegistry({
    network: chain,
    rpcUrl,
    chainId,
    deployerPrivateKey: accounts.adminPrivateKey,
    writer: new Wallet(accounts.writerPrivateKey).address,
    timeoutMs,
  });
  // Temporary file, fsync, rename, directory fsync: a crash never leaves a truncated deployment.json.
  await writeFileDurablyAsync(path, `${JSON.stringify(deployment, null, 2)}\n`);
  logger.log(`Embedded ${chain}: deployed registry ${deployment.registryAddress} (recorded in ${path}).`);
  return deployment;
}

async function readDeployment(path: string): Promise<RegistryDeployment | null> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<RegistryDeployment>;
    if (typeof parsed.registryAddress === 'string' && typeof parsed.registryCodeHash === 'string') {
      return parsed as RegistryDeployment;
    }
    return null;
  } catch {
    return null;
  }
}
