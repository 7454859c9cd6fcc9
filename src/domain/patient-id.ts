import { ValidationFailedError } from './errors';

const PATIENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * A patient's identifier as the hospital knows it. It is PHI: it never reaches a
 * ledger (only its keyed pseudonym does) and never appears in logs or errors.
 */
export class PatientId {
  private constructor(readonly value: string) {}

  static parse(raw: unknown): PatientId {
    if (typeof raw !== 'string' || !PATIENT_ID_PATTERN.test(raw)) {
      throw new ValidationFailedError(
        'patientId must be 1-64 characters: letters, digits, ".", "_" or "-", starting with a letter or digit.',
        'patientId',
      );
    }
    return new PatientId(raw);
  }

  equals(other: PatientId): boolean {
    return this.value === other.value;
  }

  toString(): string {
    return '[PatientId]';
  }

  toJSON(): string {
    return '[PatientId]';
  }
}
