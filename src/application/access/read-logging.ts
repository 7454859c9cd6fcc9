import { ChainName } from '../../domain/chain-name';
import { AccessKind } from '../../domain/access-log';
import { Clock } from '../../domain/ports/clock.port';
import { RecordId } from '../../domain/record-id';
import { AccessLogWriter } from './access-log-writer';
import { ReadScope } from './patient-access';

/**
 * Logs a read by anyone but the patient (the patient's own reads are not logged). Resolves
 * once the entry is journaled durably: await it before serving anything of the read.
 */
export async function logRead(
  writer: AccessLogWriter,
  clock: Clock,
  chain: ChainName,
  scope: ReadScope,
  recordId: RecordId | null,
  kind: AccessKind | null,
): Promise<void> {
  if (kind === null || scope.providerKey === null) return;
  await writer.record({
    chain,
    patientKey: scope.patientKey,
    noteRecipients: scope.noteRecipients,
    accessorKey: scope.providerKey,
    note: {
      accessorId: scope.actor.id,
      accessorRole: scope.actor.role,
      reason: kind === 'emergency' ? scope.reason : null,
    },
    recordId,
    kind,
    at: clock.now(),
  });
}
