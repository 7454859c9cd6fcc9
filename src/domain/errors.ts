/**
 * Domain errors carry a stable UPPER_SNAKE `code` that API clients switch on.
 * Messages are safe to show: they never contain plaintext, keys, tokens,
 * ciphertext or raw patient ids.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailedError extends DomainError {
  readonly code = 'VALIDATION_FAILED';

  /** `field` names the offending input (e.g. `patientId`, `chain`, `file`). */
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED';
}

export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
}

export class ConsentRequiredError extends DomainError {
  readonly code = 'CONSENT_REQUIRED';
}

export class PatientNotFoundError extends DomainError {
  readonly code = 'PATIENT_NOT_FOUND';
}

export class ProviderNotFoundError extends DomainError {
  readonly code = 'PROVIDER_NOT_FOUND';
}

export class RecordNotFoundError extends DomainError {
  readonly code = 'RECORD_NOT_FOUND';
}

/** A ledger already holds a record with this id: records are never overwritten. */
export class DuplicateRecordError extends DomainError {
  readonly code = 'DUPLICATE_RECORD';
}

/** A patient or provider with this id is already enrolled. */
export class AlreadyExistsError extends DomainError {
  readonly code = 'ALREADY_EXISTS';
}

/** A claim code that does not (or no longer) match anyone: mistyped, already used or expired, indistinguishably. */
export class ClaimCodeInvalidError extends DomainError {
  readonly code = 'CLAIM_CODE_INVALID';

  constructor() {
    super('This claim code is not valid: mistyped, already used or expired. Ask whoever enrolled you for a new one.');
  }
}

/** Too many failed claims from one client address; claims resume after `retryAfterSeconds`. */
export class ClaimLimitedError extends DomainError {
  readonly code = 'CLAIM_LIMITED';

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export class IdempotencyConflictError extends DomainError {
  readonly code = 'IDEMPOTENCY_CONFLICT';
}

export class PayloadTooLargeError extends DomainError {
  readonly code = 'PAYLOAD_TOO_LARGE';

  constructor(readonly maxBytes: number) {
    super(`The file exceeds the maximum size of ${maxBytes} bytes.`);
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';

  /** `field` names what carries the wrong type: the `file`, or the request's `Content-Type`. */
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A signature, digest or AEAD check failed: no bytes of the record may be served. */
export class IntegrityCheckFailedError extends DomainError {
  readonly code = 'INTEGRITY_CHECK_FAILED';
}

export class RateLimitedError extends DomainError {
  readonly code = 'RATE_LIMITED';
}

/** A provider has used its break-glass budget; emergency reads resume after `retryAfterSeconds`. */
export class BreakGlassLimitedError extends DomainError {
  readonly code = 'BREAK_GLASS_LIMITED';

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The named ledger cannot be reached; the caller may retry after `retryAfterSeconds`. */
export class ChainUnavailableError extends DomainError {
  readonly code = 'CHAIN_UNAVAILABLE';

  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
  ) {
    super(message);
  }
}

/** Decryption with the given key failed (wrong recipient, tampered envelope or ciphertext). */
export class DecryptionFailedError extends DomainError {
  readonly code = 'DECRYPTION_FAILED';
}

/** A public key is not a valid point on the curve, or a private key is out of range. */
export class InvalidKeyError extends DomainError {
  readonly code = 'INVALID_KEY';
}

/** A patient reads through the sealed endpoints: the service cannot (and must not) decrypt their records for them. */
export class SealedReadRequiredError extends DomainError {
  readonly code = 'SEALED_READ_REQUIRED';
}

/** A patient's own uploads are sealed in their browser; plaintext never reaches the service. */
export class SealedUploadRequiredError extends DomainError {
  readonly code = 'SEALED_UPLOAD_REQUIRED';
}

/** The patient's keys are registered once; replacing them needs the current signing key (not yet offered). */
export class KeysAlreadyRegisteredError extends DomainError {
  readonly code = 'KEYS_ALREADY_REGISTERED';
}

/** The patient has not registered keys yet (they are made in the patient's browser after the claim). */
export class KeysNotRegisteredError extends DomainError {
  readonly code = 'KEYS_NOT_REGISTERED';
}

/** The key registration was not signed by the signing key it registers. */
export class KeyProofInvalidError extends DomainError {
  readonly code = 'KEY_PROOF_INVALID';
}

/** A sealed upload under a record id that is already used. */
export class RecordExistsError extends DomainError {
  readonly code = 'RECORD_EXISTS';
}

/** A sealed upload's key envelope is not a well-formed v2 envelope for its declared recipients. */
export class EnvelopeMalformedError extends DomainError {
  readonly code = 'ENVELOPE_MALFORMED';
}

/** A sealed upload's recipients are not the patient and the providers holding the patient's consent. */
export class RecipientsMismatchError extends DomainError {
  readonly code = 'RECIPIENTS_MISMATCH';
}

/** A sealed upload's signature for a target ledger is missing or does not verify under the patient's signing key. */
export class SignatureInvalidError extends DomainError {
  readonly code = 'SIGNATURE_INVALID';
}

/** A consented (or emergency) reader asked for a record the service holds no key for: the patient sealed it to others. */
export class RecordNotSharedError extends DomainError {
  readonly code = 'RECORD_NOT_SHARED';
}

/** A consent change's signature was refused by a ledger (or the service's dry run): bad signature, stale nonce, high S… */
export class ConsentSignatureInvalidError extends DomainError {
  readonly code = 'CONSENT_SIGNATURE_INVALID';
}

/** A consent change needs the patient's signature: an unsigned route (DELETE …/consents/{providerId}) is gone. */
export class SignatureRequiredError extends DomainError {
  readonly code = 'SIGNATURE_REQUIRED';
}
