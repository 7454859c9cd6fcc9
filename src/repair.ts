import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RepairModule } from './app/repair.module';
import { RepairReplicasUseCase } from './application/replication/repair-replicas.use-case';

/**
 * `npm run repair`: compares the two ledgers for every record written with `chain=both`
 * and re-replicates any copy one of them lacks, then exits (0: nothing left to do, 1: some
 * copies could not be checked or restored). The service also runs this at startup; with
 * the embedded ledgers, stop the service first (the chains' state files are its own).
 */
async function repair(): Promise<void> {
  const app = await NestFactory.createApplicationContext(RepairModule, { logger: ['error', 'warn', 'log'] });
  const logger = new Logger('Repair');
  try {
    const report = await app.get(RepairReplicasUseCase).execute();
    logger.log(
      `${report.checked} replicated records checked; ${report.repaired} copies repaired; ` +
        `${report.unrecoverable} unrecoverable; ${report.unreachable} not checked (a ledger was unreachable).`,
    );
    process.exitCode = report.unrecoverable + report.unreachable > 0 ? 1 : 0;
  } finally {
    await app.close();
  }
}

repair().catch((error: unknown) => {
  new Logger('Repair').error(error instanceof Error ? error.message : 'Repair failed');
  process.exit(1);
});
