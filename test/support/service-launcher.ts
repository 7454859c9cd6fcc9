import { ChildProcess, spawn } from 'node:child_process';
import { AddressInfo, createServer } from 'node:net';
import { join, resolve } from 'node:path';

/**
 * The one way tests, the browser suite and the benchmarks start the real service: src/main.ts
 * through ts-node (transpile-only), as `npm start` runs it, in a child process on a free port.
 */
export const REPO_ROOT = resolve(__dirname, '..', '..');

const POLL_INTERVAL_MS = 200;
const DEFAULT_STARTUP_TIMEOUT_MS = 90_000;
/** A service that failed to start gets SIGTERM, then SIGKILL after this. */
const FAILED_START_STOP_TIMEOUT_MS = 5_000;
/** How much of the output a failed start quotes. */
const FAILED_START_OUTPUT_CHARS = 4_000;

export interface LaunchOptions {
  /** Settings laid over this process's environment; PORT and HOST are the launcher's. */
  readonly env: Record<string, string>;
  /** When the service counts as started; by default once /health answers anything below 500. */
  readonly ready?: (baseUrl: string) => Promise<boolean>;
  readonly startupTimeoutMs?: number;
  /** Keep only the last this many characters of output; by default all of it. */
  readonly logTailChars?: number;
}

export interface LaunchedService {
  readonly baseUrl: string;
  readonly pid: number;
  /** What the service printed (stdout and stderr, interleaved), or its tail (LaunchOptions.logTailChars). */
  logs(): string;
  /** A crash: SIGKILL, no shutdown hooks, nothing written on the way out. */
  kill(): Promise<void>;
  /**
   * A clean stop: SIGTERM as a process manager sends, or SIGINT as Ctrl-C does. With `killAfterMs`,
   * SIGKILL follows if it has not exited by then; without, it waits as long as the stop takes.
   */
  stop(signal?: 'SIGTERM' | 'SIGINT', killAfterMs?: number): Promise<void>;
}

/** /health answers (any status below 500): the HTTP server is up, whatever the ledgers say. */
export async function healthAnswers(baseUrl: string): Promise<boolean> {
  return (await fetch(`${baseUrl}/health`)).status < 500;
}

/** Starts the service and resolves once `ready` says so; a service that exits or times out first is stopped and reported with its output. */
export async function launchService(options: LaunchOptions): Promise<LaunchedService> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.json'),
      ...options.env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (options.logTailChars !== undefined) output = output.slice(-options.logTailChars);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  const service: LaunchedService = {
    baseUrl,
    pid: child.pid!,
    logs: () => output,
    kill: () => signalAndWait(child, 'SIGKILL'),
    stop: (signal = 'SIGTERM', killAfterMs) => signalAndWait(child, signal, killAfterMs),
  };
  const timeoutMs = options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS;
  const failure = await waitUntilReady(baseUrl, child, options.ready ?? healthAnswers, timeoutMs);
  if (failure) {
    await service.stop('SIGTERM', FAILED_START_STOP_TIMEOUT_MS);
    throw new Error(`${failure}\n--- service output ---\n${output.slice(-FAILED_START_OUTPUT_CHARS)}`);
  }
  return service;
}

/** Why the service is not ready (it exited, or the deadline passed); null once it is. */
async function waitUntilReady(
  baseUrl: string,
  child: ChildProcess,
  ready: (baseUrl: string) => Promise<boolean>,
  timeoutMs: number,
): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return `The service exited with code ${child.exitCode} before it was ready.`;
    try {
      if (await ready(baseUrl)) return null;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, POLL_INTERVAL_MS));
  }
  return `The service at ${baseUrl} was not ready within ${timeoutMs / 1000} s.`;
}

function signalAndWait(child: ChildProcess, signal: NodeJS.Signals, killAfterMs?: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill(signal);
  });
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}
