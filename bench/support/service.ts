import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHAIN_NAMES } from '../../src/domain/chain-name';
import { Ledgers } from '../../src/domain/ledgers';
import { LedgerRuntime } from '../../src/infrastructure/ledger.module';
import { InMemoryAccessLedger } from '../../src/infrastructure/memory/in-memory-access.ledger';
import { InMemoryEmrRepository } from '../../src/infrastructure/memory/in-memory-emr.repository';
import { SystemClock } from '../../src/infrastructure/system/system.clock';
import { launchService, REPO_ROOT } from '../../test/support/service-launcher';

export { REPO_ROOT };
export type LedgerBackend = 'embedded' | 'memory';

/** Generous: the embedded ledgers start anvil and deploy the registries on first start. */
const STARTUP_TIMEOUT_MS = 180_000;
/** SIGTERM first so anvil writes its state; SIGKILL after this. */
const STOP_TIMEOUT_MS = 15_000;
const LOG_TAIL_CHARS = 4_000;
/** ADMIN_TOKEN: 40 characters from a 30-byte random value. */
const ADMIN_TOKEN_BYTES = 30;
/**
 * The most the service accepts (environment.ts). The bench sends thousands of requests per
 * minute from one token; the default (600/min) would turn the figures into 429s.
 */
const BENCH_RATE_LIMIT_PER_MINUTE = '1000000';
const LEDGER_MODULE_PATH = join(REPO_ROOT, 'src', 'infrastructure', 'ledger.module.ts');
/**
 * anvil keeps the last ~500 block states in memory and writes every older one to
 * `$HOME/.foundry/anvil/tmp/anvil-state-*` (each a full copy of the state, so the total grows
 * with blocks × state size), and leaves it there when it stops. The chains the bench starts get a
 * HOME inside the bench's data directory, so that history is measured and removed with it.
 */
const ANVIL_HOME_DIR = 'anvil-home';
const ANVIL_HISTORY_PATH = ['.foundry', 'anvil', 'tmp'];

/**
 * Which ledgers the service can run on here: the embedded chains once LedgerModule starts them
 * (it calls startEmbeddedLedgers), otherwise the in-memory ledger. `requested` (--ledger=) wins.
 */
export function detectLedgerBackend(requested: string | undefined): { backend: LedgerBackend; reason: string } {
  if (requested === 'memory' || requested === 'embedded')
    return { backend: requested, reason: `--ledger=${requested}` };
  if (requested !== undefined) throw new Error(`--ledger must be embedded or memory, not ${requested}`);
  const wired = readFileSync(LEDGER_MODULE_PATH, 'utf8').includes('startEmbeddedLedgers');
  return wired
    ? { backend: 'embedded', reason: 'LedgerModule starts the embedded chains' }
    : { backend: 'memory', reason: 'LedgerModule does not start embedded chains yet' };
}

export interface ServiceSettings {
  readonly dataDir: string;
  readonly adminToken: string;
  /** HOME for the anvil chains the service starts (see ANVIL_HOME_DIR). */
  readonly anvilHome: string;
  readonly env: Record<string, string>;
}

export function serviceSettings(backend: LedgerBackend, extra: Record<string, string> = {}): ServiceSettings {
  const dataDir = mkdtempSync(join(tmpdir(), 'emr-bench-'));
  const adminToken = randomBytes(ADMIN_TOKEN_BYTES).toString('base64url');
  const anvilHome = join(dataDir, ANVIL_HOME_DIR);
  mkdirSync(anvilHome);
  return {
    dataDir,
    adminToken,
    anvilHome,
    env: {
      LEDGER_BACKEND: backend,
      DATA_DIR: dataDir,
      ADMIN_TOKEN: adminToken,
      RATE_LIMIT_PER_MINUTE: BENCH_RATE_LIMIT_PER_MINUTE,
      LOG_LEVEL: 'error',
      ...extra,
    },
  };
}

export interface ChildService {
  readonly baseUrl: string;
  readonly pid: number;
  readonly settings: ServiceSettings;
  logTail(): string;
  /** Stops the process; its DATA_DIR is removed unless `keepData` (to start a new process on it). */
  stop(options?: { readonly keepData?: boolean }): Promise<void>;
}

/**
 * The real service (src/main.ts through ts-node, transpile-only) in its own process, as
 * `npm start` runs it, on a free port; resolves once /health answers.
 */
export async function spawnService(settings: ServiceSettings): Promise<ChildService> {
  const service = await launchService({
    env: { ...settings.env, HOME: settings.anvilHome },
    ready: async (baseUrl) => (await fetch(`${baseUrl}/health`)).status === 200,
    startupTimeoutMs: STARTUP_TIMEOUT_MS,
    logTailChars: LOG_TAIL_CHARS,
  }).catch((error: unknown) => {
    rmSync(settings.dataDir, { recursive: true, force: true });
    throw error;
  });
  const stop = async (options: { readonly keepData?: boolean } = {}): Promise<void> => {
    await service.stop('SIGTERM', STOP_TIMEOUT_MS);
    if (!options.keepData) rmSync(settings.dataDir, { recursive: true, force: true });
  };
  return { baseUrl: service.baseUrl, pid: service.pid, settings, logTail: () => service.logs(), stop };
}

export interface InProcessService {
  readonly app: INestApplication;
  readonly baseUrl: string;
  readonly settings: ServiceSettings;
  readonly ledgerLabel: string;
  close(): Promise<void>;
}

/** Configuration is read from process.env when AppModule is first imported: one environment per process. */
let inProcessEnvironment: ServiceSettings | null = null;

/**
 * The real AppModule in this process, listening on a free port (like test/support/app.ts, but
 * served over a socket). With `memoryLedgers`, both ledgers are in-memory whatever
 * LEDGER_BACKEND says: for populating far more records than a chain could take in the time.
 */
export async function startInProcessService(
  backend: LedgerBackend,
  options: { memoryLedgers?: boolean } = {},
): Promise<InProcessService> {
  inProcessEnvironment ??= serviceSettings(backend);
  if (inProcessEnvironment.env.LEDGER_BACKEND !== backend) {
    throw new Error('One bench process serves one LEDGER_BACKEND in-process');
  }
  // A section that finished removed the data; the service creates what it needs again.
  mkdirSync(inProcessEnvironment.anvilHome, { recursive: true });
  Object.assign(process.env, inProcessEnvironment.env);
  const { AppModule } = await import('../../src/app/app.module');
  const { configureApp } = await import('../../src/interfaces/http/configure-app');
  let builder = Test.createTestingModule({ imports: [AppModule] });
  if (options.memoryLedgers) {
    const clock = new SystemClock();
    const ledgers = new Ledgers(
      CHAIN_NAMES.map((chain) => new InMemoryEmrRepository(chain, clock)),
      CHAIN_NAMES.map((chain) => new InMemoryAccessLedger(chain, clock)),
    );
    builder = builder.overrideProvider(LedgerRuntime).useValue(new LedgerRuntime(ledgers, async () => undefined));
  }
  // The chains start while the module compiles and copy HOME then; the bench's own HOME comes back after.
  const home = process.env.HOME;
  process.env.HOME = inProcessEnvironment.anvilHome;
  let app: INestApplication;
  try {
    const moduleRef = await builder.compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
  } finally {
    process.env.HOME = home;
  }
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    settings: inProcessEnvironment,
    ledgerLabel: options.memoryLedgers || backend === 'memory' ? 'in-memory ledger' : 'embedded anvil chains',
    close: () => app.close(),
  };
}

/**
 * Removes the in-process service's data (secrets, vault, chain state) once its app is closed;
 * the next in-process service starts from nothing.
 */
export function removeInProcessData(): void {
  if (inProcessEnvironment) rmSync(inProcessEnvironment.dataDir, { recursive: true, force: true });
}

/** Removes the block history the (stopped) chains wrote to disk; their state file stays. */
export function removeAnvilHistory(settings: ServiceSettings): void {
  rmSync(join(settings.anvilHome, ...ANVIL_HISTORY_PATH), { recursive: true, force: true });
}

/** How often the guard walks the history directory at most. */
const HISTORY_CHECK_INTERVAL_MS = 2_000;

/**
 * Stops a section before anvil's on-disk block history (see ANVIL_HOME_DIR) fills the disk:
 * `check()` throws once it is above the cap. Call it between operations.
 */
export class AnvilHistoryGuard {
  private checkedAt = 0;
  private lastBytes = 0;

  constructor(
    private readonly settings: ServiceSettings,
    private readonly capBytes: number,
  ) {}

  check(): void {
    const now = Date.now();
    if (now - this.checkedAt < HISTORY_CHECK_INTERVAL_MS) return;
    this.checkedAt = now;
    this.lastBytes = anvilHistoryBytes(this.settings);
    if (this.lastBytes > this.capBytes) {
      throw new Error(
        `stopped: the embedded anvil chains had written ${(this.lastBytes / 2 ** 30).toFixed(1)} GiB of block history to ` +
          `disk (cap ${(this.capBytes / 2 ** 30).toFixed(1)} GiB), though --prune-history should keep past states in memory`,
      );
    }
  }

  /** The history's size now (not throttled). */
  bytes(): number {
    this.lastBytes = anvilHistoryBytes(this.settings);
    return this.lastBytes;
  }
}

/** Bytes of block history the service's anvil chains have written to disk so far. */
export function anvilHistoryBytes(settings: ServiceSettings): number {
  return directoryBytes(join(settings.anvilHome, ...ANVIL_HISTORY_PATH));
}

function directoryBytes(path: string): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync(path);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const child = join(path, entry);
    const stat = statSync(child, { throwIfNoEntry: false });
    if (!stat) continue;
    total += stat.isDirectory() ? directoryBytes(child) : stat.size;
  }
  return total;
}
