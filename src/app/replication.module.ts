import { Logger, Module } from '@nestjs/common';
import { PatientAccess } from '../application/access/patient-access';
import { RepairReplicasUseCase } from '../application/replication/repair-replicas.use-case';
import { ReplicaCopier } from '../application/replication/replica-copier';
import { ReplicationStatusUseCase } from '../application/replication/replication-status.use-case';
import { ReplicationWorker } from '../application/replication/replication-worker';
import { Ledgers } from '../domain/ledgers';
import { Clock } from '../domain/ports/clock.port';
import { Hasher } from '../domain/ports/hasher.port';
import { RecordSigner } from '../domain/ports/record-signer.port';
import { ReplicationJournal } from '../domain/ports/replication-journal.port';
import { AccessModule } from './access.module';
import { provide, provideFactory } from './provide';

/**
 * Binds the replica machinery of src/application/replication: the signed copy for each ledger, the
 * journal's drain, and repair. It needs ports only, so `npm run repair` boots it without the rest.
 * BackgroundModule starts and stops the worker.
 */
@Module({
  providers: [
    provideFactory(ReplicationWorker, [Ledgers, ReplicationJournal], (ledgers, journal) => {
      const logger = new Logger('Replication');
      return new ReplicationWorker(ledgers, journal, (message) => logger.log(message));
    }),
    provide(ReplicaCopier, [Ledgers, RecordSigner, ReplicationJournal, Clock, Hasher]),
    provide(RepairReplicasUseCase, [
      Ledgers,
      ReplicationJournal,
      ReplicationWorker,
      ReplicaCopier,
      RecordSigner,
      Hasher,
    ]),
  ],
  exports: [ReplicationWorker, ReplicaCopier, RepairReplicasUseCase],
})
export class ReplicationModule {}

/** Where a record's copies stand, for a reader of it: apart, because reading needs PatientAccess. */
@Module({
  imports: [AccessModule],
  providers: [provide(ReplicationStatusUseCase, [Ledgers, PatientAccess, ReplicationJournal])],
  exports: [ReplicationStatusUseCase],
})
export class ReplicationStatusModule {}
