import { randomBytes } from 'node:crypto';
import { UploadRecordUseCase } from '../../src/application/records/upload-record.use-case';
import { LedgerRecord } from '../../src/domain/emr-record';
import { Ledgers } from '../../src/domain/ledgers';
import { PatientId } from '../../src/domain/patient-id';
import { Pseudonymizer } from '../../src/domain/ports/pseudonymizer.port';
import { BenchContext } from './context';
import { pngLike } from './files';
import { freshRecord } from './fresh-record';
import { Actors } from './http-client';
import { AnvilHistoryGuard, InProcessService } from './service';

/** Section 4's fill phase: the ledger filled to scale before scale.bench.ts reads from it. */

export const CHAIN = 'supchain';
/** Tiny files (a 1×1 PNG with a little filler): the scale is in the number of records, not their size. */
export const RECORD_FILE_BYTES = 96;
const PATIENT_KEY_BYTES = 32;
/** Appends in flight while filling: a chain takes them pipelined. */
const FILL_CONCURRENCY = 16;
/**
 * Appends per service start on a chain: anvil writes a full state copy per block to disk past
 * ~500 blocks (see service.ts), so the chains restart (reloading their state file) before that.
 */
export const APPENDS_PER_START = 400;
const HISTORY_CAP_BYTES = 4 * 2 ** 30;

/** One step of filling the ledger: filler appends (in parallel) or real uploads (one by one). */
export interface FillStep {
  readonly kind: 'filler' | 'upload';
  /** null: every filler gets a pseudonym of its own (another patient). */
  readonly patientId: string | null;
  readonly count: number;
}

/**
 * Runs the plan. Fillers have a real record's sealed fields and fresh random content (never
 * opened); uploads go through UploadRecordUseCase. With `restart`, the service restarts after
 * every APPENDS_PER_START appends.
 */
export async function fill(
  context: BenchContext,
  plan: readonly FillStep[],
  actors: Actors,
  currentService: () => InProcessService,
  restart: (() => Promise<void>) | null,
): Promise<void> {
  const file = new Uint8Array(pngLike(RECORD_FILE_BYTES));
  const provider = { role: 'provider' as const, id: actors.providerId, createdAt: new Date() };
  let template: LedgerRecord | null = null;
  let sinceStart = 0;
  let appended = 0;
  const total = plan.reduce((sum, step) => sum + step.count, 0);
  let guard = new AnvilHistoryGuard(currentService().settings, HISTORY_CAP_BYTES);
  const before = async (appends: number): Promise<void> => {
    guard.check();
    if (restart && sinceStart + appends > APPENDS_PER_START) {
      context.progress(
        `scale: ${appended.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} appends; restarting`,
      );
      await restart();
      guard = new AnvilHistoryGuard(currentService().settings, HISTORY_CAP_BYTES);
      sinceStart = 0;
    }
    sinceStart += appends;
    appended += appends;
  };

  for (const step of plan) {
    if (step.count === 0) continue;
    context.progress(
      `scale: ${step.count.toLocaleString('en-US')} ${step.kind === 'upload' ? 'uploads' : 'filler records'}` +
        ` for ${step.patientId ?? 'as many other patients'}`,
    );
    if (step.kind === 'upload') {
      for (let i = 0; i < step.count; i++) {
        await before(1);
        const uploadRecord = currentService().app.get(UploadRecordUseCase, { strict: false });
        await uploadRecord.execute({
          patientId: step.patientId!,
          chain: CHAIN,
          fileName: 'note.png',
          claimedType: 'image/png',
          bytes: file,
          actor: provider,
        });
        if (template === null) {
          const app = currentService().app;
          const patientKey = app.get(Pseudonymizer, { strict: false }).patientKey(PatientId.parse(step.patientId!));
          template = await app.get(Ledgers, { strict: false }).get(CHAIN).latest(patientKey);
        }
      }
      continue;
    }
    const sealed = template!;
    for (let done = 0; done < step.count;) {
      const batch = Math.min(FILL_CONCURRENCY, step.count - done);
      await before(batch);
      const app = currentService().app;
      const repository = app.get(Ledgers, { strict: false }).get(CHAIN);
      const patientKey =
        step.patientId === null
          ? null
          : app.get(Pseudonymizer, { strict: false }).patientKey(PatientId.parse(step.patientId));
      await Promise.all(
        Array.from({ length: batch }, () =>
          repository.append(freshRecord(sealed, patientKey ?? new Uint8Array(randomBytes(PATIENT_KEY_BYTES)))),
        ),
      );
      done += batch;
    }
  }
}
