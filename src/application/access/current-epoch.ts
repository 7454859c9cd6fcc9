import { ChainUnavailableError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { EpochKey } from '../../domain/ports/access-ledger.port';

/**
 * The patient's current epoch (the same on every ledger: the browser writes the same epochs to
 * each), from the first ledger that answers; null before the patient registered keys with epochs.
 * ChainUnavailableError only when none answers.
 */
export async function currentEpochOf(ledgers: Ledgers, patientKey: Uint8Array): Promise<EpochKey | null> {
  let unavailable: ChainUnavailableError | null = null;
  for (const ledger of ledgers.allAccess()) {
    try {
      return await ledger.currentEpoch(patientKey);
    } catch (error) {
      if (!(error instanceof ChainUnavailableError)) throw error;
      unavailable = error;
    }
  }
  if (unavailable) throw unavailable;
  return null;
}
