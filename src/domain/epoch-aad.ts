import { concatBytes, lengthPrefixed, utf8 } from './bytes';
import { ValidationFailedError } from './errors';

const EPOCH_AAD_DOMAIN = utf8('patient-centric-emr/epoch/v1');
const PATIENT_KEY_BYTES = 32;
const EPOCH_INDEX_BYTES = 4;
const MAX_EPOCH_INDEX = 0xffffffff;

/**
 * The aad of every slot of a patient's epoch (issue 14 spec, part B; the client's crypto/epochs.js):
 *   lp("patient-centric-emr/epoch/v1") | lp(patientKey, 32 bytes) | lp(u32 big-endian epoch index)
 * lp = u32 big-endian length | bytes. It binds a slot to its patient and epoch, and keeps an epoch
 * slot from ever opening as a record's envelope.
 */
export function epochAad(patientKey: Uint8Array, index: number): Uint8Array {
  if (patientKey.length !== PATIENT_KEY_BYTES) {
    throw new ValidationFailedError(`patientKey must be ${PATIENT_KEY_BYTES} bytes.`, 'patientKey');
  }
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_EPOCH_INDEX) {
    throw new ValidationFailedError('An epoch index must fit in 32 bits.', 'epoch');
  }
  const indexBytes = new Uint8Array(EPOCH_INDEX_BYTES);
  new DataView(indexBytes.buffer).setUint32(0, index, false);
  return concatBytes(lengthPrefixed(EPOCH_AAD_DOMAIN), lengthPrefixed(patientKey), lengthPrefixed(indexBytes));
}
