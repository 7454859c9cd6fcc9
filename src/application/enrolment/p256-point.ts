import { utf8 } from '../../domain/bytes';
import { InvalidKeyError, ValidationFailedError } from '../../domain/errors';
import { Cipher } from '../../domain/ports/cipher.port';

/** Binds the validation seal below to its use: nothing is kept of it. */
const KEY_CHECK_AAD = utf8('patient-centric-emr/register-keys/point-check');
const CHECK_DATA_KEY_BYTES = 32;

/**
 * ValidationFailedError (naming `field`) unless `publicKey` is a P-256 point: a key off the curve
 * is found out when it is registered, not at the first upload or signature that needs it. The
 * cipher's seal imports the point (as ECDH would), which is the check; the seal itself is dropped.
 */
export async function assertP256Point(cipher: Cipher, publicKey: Uint8Array, field: string): Promise<void> {
  try {
    await cipher.sealDataKey({ bytes: new Uint8Array(CHECK_DATA_KEY_BYTES) }, [publicKey], KEY_CHECK_AAD);
  } catch (error) {
    if (error instanceof InvalidKeyError) {
      throw new ValidationFailedError(`${field} is not a P-256 public key.`, field);
    }
    throw error;
  }
}
