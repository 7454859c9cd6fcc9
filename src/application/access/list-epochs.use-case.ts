import { toBase64, toHex0x } from '../../domain/bytes';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { Principal } from '../../domain/principal';
import { requirePatientSelf } from './consent-view';

export interface EpochView {
  readonly index: number;
  readonly publicKey: string;
  readonly slots: string[];
}

/**
 * Every epoch of the patient with its slots, oldest first (from the first configured ledger; the
 * epochs are the same on each): the patient's browser opens its own slots to read records sealed
 * to an epoch key (providers' uploads since issue 14).
 */
export class ListEpochsUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly pseudonymizer: Pseudonymizer,
  ) {}

  async execute(input: { actor: Principal; patientId: string }): Promise<EpochView[]> {
    const patientId = PatientId.parse(input.patientId);
    requirePatientSelf(input.actor, patientId);
    const epochs = await this.ledgers.allAccess()[0].epochs(this.pseudonymizer.patientKey(patientId));
    return epochs.map((epoch) => ({
      index: epoch.index,
      publicKey: toHex0x(epoch.publicKey),
      slots: epoch.slots.map(toBase64),
    }));
  }
}
