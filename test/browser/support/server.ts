import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
/** Generous: the embedded ledgers deploy their contracts at start. */
const STARTUP_TIMEOUT_MS = 150_000;
const STOP_TIMEOUT_MS = 5_000;
const POLL_INTERVAL_MS = 250;
/** Keep the last part of the server's output to explain a failed start. */
const LOG_TAIL_CHARS = 4_000;
/**
 * Deadline for one ledger call in the server under test: short, so a ledger the suite pauses is
 * given up on (and its copy journaled) within seconds, yet far above what a local chain needs.
 */
export const TEST_LEDGER_TIMEOUT_MS = 5_000;

export interface RunningServer {
  baseUrl: string;
  /** The operator token the server was started with (BROWSER_TEST_ADMIN_TOKEN for an external server). */
  adminToken: string | undefined;
  /** The last few KiB the server printed (empty for an external server). */
  logTail(): string;
  /**
   * Freezes (SIGSTOP) or thaws (SIGCONT) one of the server's embedded chains, as a hung node
   * would be: requests to it neither fail nor answer. Null for an external server.
   */
  ledgerSignals: { pause(chain: string): void; resume(chain: string): void } | null;
  stop(): Promise<void>;
}

/**
 * Starts the real service (src/main.ts through ts-node, transpile-only) on a free port
 * with a throwaway DATA_DIR, on its embedded default (two local chains) unless
 * LEDGER_BACKEND says otherwise, and waits until it serves the web page. Set
 * BROWSER_TEST_BASE_URL to test a server that is already running instead.
 */
export async function startServer(): Promise<RunningServer> {
  const external = process.env.BROWSER_TEST_BASE_URL;
  if (external) {
    return {
      baseUrl: external.replace(/\/$/, ''),
      adminToken: process.env.BROWSER_TEST_ADMIN_TOKEN,
      logTail: () => '',
      ledgerSignals: null,
      stop: async () => undefined,
    };
  }

  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'emr-browser-'));
  const adminToken = randomBytes(24).toString('hex');
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      ADMIN_TOKEN: adminToken,
      LEDGER_TIMEOUT_MS: String(TEST_LEDGER_TIMEOUT_MS),
      TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.json'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const baseUrl = `http://127.0.0.1:${port}`;
  // The pid file holds "<anvil pid> <service pid>".
  const anvilPid = (chain: string): number =>
    Number(
      readFileSync(join(dataDir, 'chains', chain, 'anvil.pid'), 'utf8')
        .trim()
        .split(/\s+/)[0],
    );
  const paused = new Set<string>();
  const ledgerSignals = {
    pause: (chain: string) => {
      process.kill(anvilPid(chain), 'SIGSTOP');
      paused.add(chain);
    },
    resume: (chain: string) => {
      process.kill(anvilPid(chain), 'SIGCONT');
      paused.delete(chain);
    },
  };
  const stop = async (): Promise<void> => {
    // A frozen chain cannot write its state or exit: thaw it before the server stops it.
    for (const chain of [...paused]) ledgerSignals.resume(chain);
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(baseUrl, child);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- server output ---\n${log}`);
  }
  return { baseUrl, adminToken, logTail: () => log, ledgerSignals, stop };
}

async function waitUntilServing(baseUrl: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The server exited with code ${child.exitCode} before serving.`);
    try {
      const response = await fetch(`${baseUrl}/`);
      if (response.ok && /<html/i.test(await response.text())) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, POLL_INTERVAL_MS));
  }
  throw new Error(`The server did not serve ${baseUrl}/ within ${STARTUP_TIMEOUT_MS / 1000} s.`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}
