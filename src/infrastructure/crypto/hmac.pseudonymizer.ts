import { createHmac } from 'node:crypto';
import { utf8 } from '../../domain/bytes';
import { InvalidKeyError } from '../../domain/errors';
import { PatientId } from '../../domain/patient-id';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';

/** RFC 2104 §3: a key shorter than the hash output weakens HMAC, so require at least 256 bits. */
export const MIN_PSEUDONYM_SECRET_BYTES = 32;
const PROVIDER_PREFIX = 'provider:';

/**
 * patient key  = HMAC-SHA256(secret, UTF-8(patientId)), 32 bytes;
 * provider key = HMAC-SHA256(secret, "provider:" || UTF-8(providerId)). Ids cannot contain
 * ":", so the two namespaces never collide.
 */
export class HmacPseudonymizer extends Pseudonymizer {
  private readonly secret: Uint8Array;

  constructor(secret: Uint8Array) {
    super();
    if (!(secret instanceof Uint8Array) || secret.length < MIN_PSEUDONYM_SECRET_BYTES) {
      throw new InvalidKeyError(`The pseudonymization secret must be at least ${MIN_PSEUDONYM_SECRET_BYTES} bytes.`);
    }
    this.secret = secret.slice();
  }

  patientKey(patientId: PatientId): Uint8Array {
    return new Uint8Array(createHmac('sha256', this.secret).update(utf8(patientId.value)).digest());
  }

  providerKey(providerId: string): Uint8Array {
    return new Uint8Array(
      createHmac('sha256', this.secret)
        .update(utf8(PROVIDER_PREFIX + providerId))
        .digest(),
    );
  }
}
