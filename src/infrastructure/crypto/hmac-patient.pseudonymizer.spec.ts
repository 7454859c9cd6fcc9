import { createHmac } from 'node:crypto';
import { bytesToHex } from '../../domain/bytes';
import { InvalidKeyError } from '../../domain/errors';
import { PatientId } from '../../domain/patient-id';
import { HmacPatientPseudonymizer } from './hmac-patient.pseudonymizer';

const SECRET = new Uint8Array(32).map((_, i) => i);
const OTHER_SECRET = new Uint8Array(32).map((_, i) => 255 - i);

describe('HmacPatientPseudonymizer', () => {
  const patient = PatientId.parse('MRN-000123');

  it('is HMAC-SHA256(secret, UTF-8 patient id), 32 bytes', () => {
    const pseudonym = new HmacPatientPseudonymizer(SECRET).pseudonym(patient);
    expect(pseudonym).toHaveLength(32);
    expect(bytesToHex(pseudonym)).toBe(createHmac('sha256', SECRET).update('MRN-000123', 'utf8').digest('hex'));
  });

  it('is deterministic across instances', () => {
    const a = new HmacPatientPseudonymizer(SECRET).pseudonym(patient);
    const b = new HmacPatientPseudonymizer(SECRET.slice()).pseudonym(PatientId.parse('MRN-000123'));
    expect(bytesToHex(b)).toBe(bytesToHex(a));
  });

  it('differs per secret and per patient', () => {
    const pseudonymizer = new HmacPatientPseudonymizer(SECRET);
    const base = bytesToHex(pseudonymizer.pseudonym(patient));
    expect(bytesToHex(new HmacPatientPseudonymizer(OTHER_SECRET).pseudonym(patient))).not.toBe(base);
    expect(bytesToHex(pseudonymizer.pseudonym(PatientId.parse('MRN-000124')))).not.toBe(base);
  });

  it('keeps its own copy of the secret', () => {
    const secret = SECRET.slice();
    const pseudonymizer = new HmacPatientPseudonymizer(secret);
    const before = bytesToHex(pseudonymizer.pseudonym(patient));
    secret.fill(0);
    expect(bytesToHex(pseudonymizer.pseudonym(patient))).toBe(before);
  });

  it('rejects a secret shorter than 32 bytes', () => {
    expect(() => new HmacPatientPseudonymizer(new Uint8Array(31))).toThrow(InvalidKeyError);
    expect(() => new HmacPatientPseudonymizer(new Uint8Array(32))).not.toThrow();
  });
});
