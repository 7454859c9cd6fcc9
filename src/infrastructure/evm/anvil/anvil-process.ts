import { ChildProcess, spawn } from 'node:child_process';
import { EvmLogger, SILENT_LOGGER } from '../connection/evm-ledger-settings';

/** Per-transaction gas cap of Osaka (EIP-7825), enforced with --enable-tx-gas-limit. */
export const OSAKA_HARDFORK = 'osaka';
/** Block gas limit of a local chain: room for several capped transactions per block. */
export const DEFAULT_BLOCK_GAS_LIMIT = 60_000_000;
const DEFAULT_START_TIMEOUT_MS = 30_000;
const DEFAULT_STOP_TIMEOUT_MS = 30_000;
/** Anvil prints its dev accounts' keys before this line: stdout is never forwarded to logs. */
const LISTENING_LINE = /Listening on ([\d.]+):(\d+)/;
const STDERR_TAIL_BYTES = 2_000;
/**
 * Past states anvil keeps in memory (`--prune-history N`). Without the flag anvil also spills
 * older states to files under ~/.foundry/anvil/tmp, each one a full copy of the chain's state,
 * and never removes them: a chain holding a few hundred MiB of records fills the disk. Reads
 * at a recent block (the adapter replays a reverted transaction at its receipt's block) stay
 * within this window.
 */
export const DEFAULT_HISTORY_STATES = 64;

export interface AnvilOptions {
  readonly chainId: number;
  /** 0 (default): any free port, read back from anvil's output. */
  readonly port?: number;
  /** `--state`: loaded at start if the file exists, written on SIGTERM/SIGINT. */
  readonly statePath?: string;
  /** `--state-interval`: also written every N seconds, against crashes. */
  readonly stateIntervalSeconds?: number;
  readonly blockGasLimit?: number;
  /** Default true: refuse transactions over 16,777,216 gas like Sepolia (EIP-7825). */
  readonly enforceTxGasCap?: boolean;
  readonly hardfork?: string;
  /** Past states kept in memory for reads at older blocks (default DEFAULT_HISTORY_STATES); none on disk. */
  readonly historyStates?: number;
  /** Lift anvil's 2 MB request body limit (only the gas benchmark's seed-style 1 MiB call needs it). */
  readonly unlimitedRequestSize?: boolean;
  readonly startTimeoutMs?: number;
  /** Used in log lines, e.g. "supchain". */
  readonly label?: string;
  readonly logger?: EvmLogger;
}

export interface AnvilProcess {
  readonly rpcUrl: string;
  readonly port: number;
  readonly pid: number;
  /** Resolves with the exit code (null if killed by a signal) when the process ends. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then waits for exit (anvil writes its --state file on the way out); SIGKILL after the timeout. */
  stop(timeoutMs?: number): Promise<void>;
}

/** The anvil binary shipped by the @foundry-rs/anvil-<platform> npm package. */
export function anvilBinaryPath(): string {
  const platforms: Record<string, string> = {
    'linux-x64': 'linux-amd64',
    'linux-arm64': 'linux-arm64',
    'darwin-x64': 'darwin-amd64',
    'darwin-arm64': 'darwin-arm64',
    'win32-x64': 'win32-amd64',
  };
  const platform = platforms[`${process.platform}-${process.arch}`];
  if (!platform) throw new Error(`anvil has no build for ${process.platform}-${process.arch}.`);
  const packageJson = require.resolve(`@foundry-rs/anvil-${platform}/package.json`);
  return packageJson.replace(/package\.json$/, process.platform === 'win32' ? 'bin/anvil.exe' : 'bin/anvil');
}

/** Starts a local anvil chain bound to 127.0.0.1 and resolves once its RPC answers. */
export async function startAnvil(options: AnvilOptions): Promise<AnvilProcess> {
  const logger = options.logger ?? SILENT_LOGGER;
  const label = options.label ?? `chain ${options.chainId}`;
  const args = [
    '--host',
    '127.0.0.1',
    '--port',
    String(options.port ?? 0),
    '--chain-id',
    String(options.chainId),
    '--hardfork',
    options.hardfork ?? OSAKA_HARDFORK,
    '--gas-limit',
    String(options.blockGasLimit ?? DEFAULT_BLOCK_GAS_LIMIT),
    '--prune-history',
    String(options.historyStates ?? DEFAULT_HISTORY_STATES),
  ];
  if (options.enforceTxGasCap ?? true) args.push('--enable-tx-gas-limit');
  if (options.unlimitedRequestSize) args.push('--no-request-size-limit');
  if (options.statePath) args.push('--state', options.statePath);
  if (options.statePath && options.stateIntervalSeconds) {
    args.push('--state-interval', String(options.stateIntervalSeconds));
  }

  const child = spawn(anvilBinaryPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderrTail = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    stderrTail = (stderrTail + text).slice(-STDERR_TAIL_BYTES);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Children must not outlive an exiting parent; SIGTERM lets anvil still write its state.
  const killOnExit = (): void => {
    child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));

  let port: number;
  try {
    port = await waitForListening(child, exited, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
  } catch (error) {
    child.kill('SIGKILL');
    const detail = stderrTail.trim() ? `: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}` : '';
    throw new Error(`anvil for ${label} did not start (${(error as Error).message})${detail}`);
  }
  const rpcUrl = `http://127.0.0.1:${port}`;
  await waitForRpc(rpcUrl, options.chainId, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
  logger.log(`anvil for ${label} (chain id ${options.chainId}) listening on ${rpcUrl}, pid ${child.pid}.`);

  let stopping: Promise<void> | null = null;
  return {
    rpcUrl,
    port,
    pid: child.pid!,
    exited,
    stop(timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<void> {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          logger.warn(`anvil for ${label} did not stop within ${timeoutMs} ms; killing it (state may be stale).`);
          child.kill('SIGKILL');
        }, timeoutMs);
        await exited;
        clearTimeout(timer);
        logger.log(`anvil for ${label} stopped.`);
      })();
      return stopping;
    },
  };
}

function waitForListening(child: ChildProcess, exited: Promise<number | null>, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let buffered = '';
    let done = false;
    const finish = (outcome: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      buffered = '';
      outcome();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`no RPC within ${timeoutMs} ms`))), timeoutMs);
    child.stdout!.setEncoding('utf8');
    // Keeps draining stdout for the process's life (a full pipe would block anvil); the text is
    // dropped, it holds the dev accounts' private keys and one line per RPC call.
    child.stdout!.on('data', (text: string) => {
      if (done) return;
      buffered = (buffered + text).slice(-64_000);
      const match = LISTENING_LINE.exec(buffered);
      if (match) finish(() => resolve(Number(match[2])));
    });
    child.once('error', (error) => finish(() => reject(error)));
    void exited.then((code) => finish(() => reject(new Error(`exited with code ${code}`))));
  });
}

async function waitForRpc(rpcUrl: string, chainId: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        signal: AbortSignal.timeout(1_000),
      });
      const body = (await response.json()) as { result?: string };
      if (body.result && Number(BigInt(body.result)) === chainId) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`anvil at ${rpcUrl} did not answer eth_chainId in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
