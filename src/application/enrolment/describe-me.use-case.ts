import { bytesToHex } from '../../domain/bytes';
import { PatientId } from '../../domain/patient-id';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { Principal } from '../../domain/principal';

export interface MeView {
  readonly id: string;
  readonly role: Principal['role'];
  readonly createdBy: string | null;
  readonly createdAt: string;
  readonly claimedAt: string | null;
  /** Patients: the pseudonym the ledgers know them by (it is in every record's aad), 0x-hex. */
  readonly patientKey?: string;
  /** Patients: their registered public keys, or null before their browser registered any. */
  readonly keys?: { encryptionPublicKey: string; signingPublicKey: string; registeredAt: string } | null;
}

/** Who a token belongs to; for a patient also what their browser needs to know about their keys. */
export class DescribeMeUseCase {
  constructor(private readonly pseudonymizer: Pseudonymizer) {}

  execute(actor: Principal): MeView {
    const base = {
      id: actor.id,
      role: actor.role,
      createdBy: actor.createdBy ?? null,
      createdAt: actor.createdAt.toISOString(),
      claimedAt: actor.claimedAt?.toISOString() ?? null,
    };
    if (actor.role !== 'patient') return base;
    const keys = actor.keys;
    return {
      ...base,
      patientKey: `0x${bytesToHex(this.pseudonymizer.patientKey(PatientId.parse(actor.id)))}`,
      keys: keys
        ? {
            encryptionPublicKey: `0x${bytesToHex(keys.encryptionPublicKey)}`,
            signingPublicKey: `0x${bytesToHex(keys.signingPublicKey)}`,
            registeredAt: keys.registeredAt.toISOString(),
          }
        : null,
    };
  }
}
