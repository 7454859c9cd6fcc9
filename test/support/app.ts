import { ConsoleLogger, INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Clock } from '../../src/domain/ports/clock.port';

export interface TestApp {
  app: INestApplication;
  dataDir: string;
  adminToken: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Replaces the system clock everywhere (e.g. a FakeClock from test/fakes/fake-clock), so tests drive time. */
  clock?: Clock;
}

/**
 * Builds the real AppModule the way main.ts does. Configuration is read from
 * process.env when AppModule is first imported, so each test file sets its env
 * here, before that import.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  logger?: LoggerService,
  options: TestAppOptions = {},
): Promise<TestApp> {
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'emr-e2e-'));
  const adminToken = env.ADMIN_TOKEN ?? `test-admin-${randomBytes(24).toString('base64url')}`;
  Object.assign(process.env, {
    LEDGER_BACKEND: 'memory',
    LOG_LEVEL: 'error',
    DATA_DIR: dataDir,
    ADMIN_TOKEN: adminToken,
    ...env,
  });
  const { AppModule } = await import('../../src/app/app.module');
  const { configureApp } = await import('../../src/interfaces/http/configure-app');
  const builder = Test.createTestingModule({ imports: [AppModule] }).setLogger(
    logger ?? new ConsoleLogger({ logLevels: ['error'] }),
  );
  if (options.clock) builder.overrideProvider(Clock).useValue(options.clock);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication({ logger: logger ?? ['error'] });
  configureApp(app);
  await app.init();
  const ownsDataDir = env.DATA_DIR === undefined;
  return {
    app,
    dataDir,
    adminToken,
    close: async () => {
      await app.close();
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
