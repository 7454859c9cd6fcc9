import { Test, TestingModule } from '@nestjs/testing';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AccessLogWriter } from '../../src/application/access/access-log-writer';
import { AuthenticateUseCase } from '../../src/application/enrolment/authenticate.use-case';
import { RepairReplicasUseCase } from '../../src/application/replication/repair-replicas.use-case';
import { PrincipalRepository } from '../../src/domain/ports/principal-repository.port';
import { AccessController } from '../../src/interfaces/http/access.controller';
import { HealthController } from '../../src/interfaces/http/health.controller';
import { RecordsController } from '../../src/interfaces/http/records.controller';

/** `npm run repair` boots the replication module on the ports it needs, not the service around it. */
describe('repair (npm run repair)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'emr-repair-'));
  const env = { LEDGER_BACKEND: 'memory', LOG_LEVEL: 'error', DATA_DIR: dataDir };
  let moduleRef: TestingModule;
  let backgroundWork: (abstract new (...args: never[]) => unknown)[] = [];

  beforeAll(async () => {
    Object.assign(process.env, env);
    // Imported after the environment is set: the configuration is read when the module is.
    const { RepairModule } = await import('../../src/app/repair.module');
    const background = await import('../../src/app/background.module');
    moduleRef = await Test.createTestingModule({ imports: [RepairModule] })
      .setLogger({ log: () => undefined, error: () => undefined, warn: () => undefined })
      .compile();
    await moduleRef.init();
    backgroundWork = [background.ReplicationLifecycle, background.AccessLogShutdown, background.IdempotencySweeper];
  });

  afterAll(async () => {
    await moduleRef?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('has the repair use case and nothing of the HTTP stack, the background work or the principals', async () => {
    expect(moduleRef.get(RepairReplicasUseCase)).toBeInstanceOf(RepairReplicasUseCase);
    const absent = [
      RecordsController,
      AccessController,
      HealthController,
      AuthenticateUseCase,
      AccessLogWriter,
      PrincipalRepository,
      ...backgroundWork,
    ];
    expect(backgroundWork).toHaveLength(3);
    for (const token of absent) expect(() => moduleRef.get(token, { strict: false })).toThrow();
  });

  it('repairs nothing on empty ledgers', async () => {
    const report = await moduleRef.get(RepairReplicasUseCase).execute();
    expect(report).toMatchObject({ checked: 0, repaired: 0, unrecoverable: 0, unreachable: 0 });
  });

  it('runs as a process: reports, exits 0 and never generates the operator token', async () => {
    const processDir = mkdtempSync(join(tmpdir(), 'emr-repair-run-'));
    const { ADMIN_TOKEN: _unset, ...inherited } = process.env;
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', 'src/repair.ts'],
        { env: { ...inherited, ...env, DATA_DIR: processDir }, timeout: 60_000 },
      );
      expect(stdout).toContain('0 replicated records checked; 0 copies repaired');
      expect(stdout).not.toContain("operator's (admin) token");
      expect(existsSync(join(processDir, 'secrets', 'admin-token.sha256'))).toBe(false);
    } finally {
      rmSync(processDir, { recursive: true, force: true });
    }
  });
});
