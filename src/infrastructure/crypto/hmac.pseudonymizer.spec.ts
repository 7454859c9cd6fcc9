import { createHmac } from 'node:crypto';
import { bytesToHex } from '../../domain/bytes';
import { InvalidKeyError } from '../../domain/errors';
import { PatientId } from '../../domain/patient-id';
import { HmacPseudonymizer } from './hmac.pseudonymizer';

const SECRET = new Uint8Array(32).map((_, i) => i);
const OTHER_SECRET = new Uint8Array(32).map((_, i) => 255 - i);

describe('HmacPseudonymizer', () => {
  const patient = PatientId.parse('MRN-000123');

  it('is HMAC-SHA256(secret, UTF-8 patient id), 32 bytes', () => {
    const pseudonym = new HmacPseudonymizer(SECRET).patientKey(patient);
    expect(pseudonym).toHaveLength(32);
    expect(bytesToHex(pseudonym)).toBe(createHmac('sha256', SECRET).update('MRN-000123', 'utf8').digest('hex'));
  });

  it('is deterministic across instances', () => {
    const a = new HmacPseudonymizer(SECRET).patientKey(patient);
    const b = new HmacPseudonymizer(SECRET.slice()).patientKey(PatientId.parse('MRN-000123'));
    expect(bytesToHex(b)).toBe(bytesToHex(a));
  });

  it('differs per secret and per patient', () => {
    const pseudonymizer = new HmacPseudonymizer(SECRET);
    const base = bytesToHex(pseudonymizer.patientKey(patient));
    expect(bytesToHex(new HmacPseudonymizer(OTHER_SECRET).patientKey(patient))).not.toBe(base);
    expect(bytesToHex(pseudonymizer.patientKey(PatientId.parse('MRN-000124')))).not.toBe(base);
  });

  it('keeps its own copy of the secret', () => {
    const secret = SECRET.slice();
    const pseudonymizer = new HmacPseudonymizer(secret);
    const before = bytesToHex(pseudonymizer.patientKey(patient));
    secret.fill(0);
    expect(bytesToHex(pseudonymizer.patientKey(patient))).toBe(before);
  });

  it('rejects a secret shorter than 32 bytes', () => {
    expect(() => new HmacPseudonymizer(new Uint8Array(31))).toThrow(InvalidKeyError);
    expect(() => new HmacPseudonymizer(new Uint8Array(32))).not.toThrow();
  });

  it('keeps providers in their own namespace', () => {
    const pseudonymizer = new HmacPseudonymizer(SECRET);
    const provider = pseudonymizer.providerKey('MRN-000123');
    expect(provider).toHaveLength(32);
    expect(bytesToHex(provider)).toBe(createHmac('sha256', SECRET).update('provider:MRN-000123', 'utf8').digest('hex'));
    expect(bytesToHex(provider)).not.toBe(bytesToHex(pseudonymizer.patientKey(PatientId.parse('MRN-000123'))));
  });
});
