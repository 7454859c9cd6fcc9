import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestApp {
  app: INestApplication;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Builds the real AppModule the way main.ts does. Configuration is read from
 * process.env when AppModule is first imported, so each test file sets its env
 * here, before that import.
 */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'emr-e2e-'));
  Object.assign(process.env, { LEDGER_BACKEND: 'memory', LOG_LEVEL: 'error', DATA_DIR: dataDir, ...env });
  const { AppModule } = await import('../../src/app.module');
  const { configureApp } = await import('../../src/interfaces/http/configure-app');
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  configureApp(app);
  await app.init();
  return { app, dataDir, close: () => app.close() };
}
