import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAnvilPid } from '../../support/anvil';
import { launchService, REPO_ROOT } from '../../support/service-launcher';

export { REPO_ROOT };
/** Generous: the embedded ledgers deploy their contracts at start. */
const STARTUP_TIMEOUT_MS = 150_000;
const STOP_TIMEOUT_MS = 5_000;
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

  const dataDir = mkdtempSync(join(tmpdir(), 'emr-browser-'));
  const adminToken = randomBytes(24).toString('hex');
  const paused = new Set<string>();
  const ledgerSignals = {
    pause: (chain: string) => {
      process.kill(readAnvilPid(dataDir, chain), 'SIGSTOP');
      paused.add(chain);
    },
    resume: (chain: string) => {
      process.kill(readAnvilPid(dataDir, chain), 'SIGCONT');
      paused.delete(chain);
    },
  };
  const service = await launchService({
    env: { DATA_DIR: dataDir, ADMIN_TOKEN: adminToken, LEDGER_TIMEOUT_MS: String(TEST_LEDGER_TIMEOUT_MS) },
    ready: servesThePage,
    startupTimeoutMs: STARTUP_TIMEOUT_MS,
    logTailChars: LOG_TAIL_CHARS,
  }).catch((error: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  const stop = async (): Promise<void> => {
    // A frozen chain cannot write its state or exit: thaw it before the server stops it.
    for (const chain of [...paused]) ledgerSignals.resume(chain);
    await service.stop('SIGTERM', STOP_TIMEOUT_MS);
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { baseUrl: service.baseUrl, adminToken, logTail: () => service.logs(), ledgerSignals, stop };
}

/** The web page is served (not just /health): what the browser suite needs before it opens it. */
async function servesThePage(baseUrl: string): Promise<boolean> {
  const response = await fetch(`${baseUrl}/`);
  return response.ok && /<html/i.test(await response.text());
}
