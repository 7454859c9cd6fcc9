import { PatientId } from '../patient-id';

/**
 * Maps a patient id to the 32-byte key the ledgers see. Keyed (HMAC-SHA256 with a
 * per-deployment secret) so that nobody can test a guessed id against the ledger.
 */
export abstract class PatientPseudonymizer {
  abstract pseudonym(patientId: PatientId): Uint8Array;
}
