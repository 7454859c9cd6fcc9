import { PatientId } from '../patient-id';

/**
 * Maps patients and providers to the 32-byte keys the ledgers see. Keyed (HMAC-SHA256
 * with a per-deployment secret) so nobody can test a guessed id against a ledger.
 */
export abstract class Pseudonymizer {
  abstract patientKey(patientId: PatientId): Uint8Array;

  abstract providerKey(providerId: string): Uint8Array;
}
