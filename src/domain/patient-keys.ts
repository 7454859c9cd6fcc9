import { concatBytes, hexToBytes, lengthPrefixed, utf8 } from './bytes';
import { ValidationFailedError } from './errors';

const REGISTRATION_DOMAIN = utf8('patient-centric-emr/register-keys/v1');

export const P256_PUBLIC_KEY_BYTES = 65;
export const P256_SIGNATURE_BYTES = 64;
/** A key backup is opaque to the service (wrapped in the browser under the recovery code); this bounds what it stores. */
export const MAX_KEY_BACKUP_BYTES = 8192;

/**
 * What a patient's signing key signs to register their keys (proof that whoever registers the
 * signing key holds it, and that both keys are the patient's choice):
 *   lp("patient-centric-emr/register-keys/v1") | lp(patientId, UTF-8) | lp(encryption key) | lp(signing key)
 * lp = u32 big-endian length, then the bytes. The client module builds the same bytes.
 */
export function keyRegistrationMessage(
  patientId: string,
  encryptionPublicKey: Uint8Array,
  signingPublicKey: Uint8Array,
): Uint8Array {
  return concatBytes(
    lengthPrefixed(REGISTRATION_DOMAIN),
    lengthPrefixed(utf8(patientId)),
    lengthPrefixed(encryptionPublicKey),
    lengthPrefixed(signingPublicKey),
  );
}

const HEX = /^0x([0-9a-fA-F]{2})*$/;

/** `0x`-hex of exactly `length` bytes, else ValidationFailedError naming `field`. */
export function parseHexBytes(raw: unknown, length: number, field: string): Uint8Array {
  if (typeof raw !== 'string' || raw.length !== 2 + length * 2 || !HEX.test(raw)) {
    throw new ValidationFailedError(`${field} must be 0x followed by ${length * 2} hex characters.`, field);
  }
  return hexToBytes(raw.slice(2));
}

/** With the length a multiple of 4 this is exactly padded base64 (and no repeated group to exhaust the regex stack). */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Standard base64 (with padding) of 1..maxBytes bytes, else ValidationFailedError naming `field`. */
export function parseBase64(raw: unknown, maxBytes: number, field: string): Uint8Array {
  if (
    typeof raw !== 'string' ||
    raw.length === 0 ||
    raw.length % 4 !== 0 ||
    raw.length > Math.ceil(maxBytes / 3) * 4 ||
    !BASE64.test(raw)
  ) {
    throw new ValidationFailedError(`${field} must be base64 of 1 to ${maxBytes} bytes.`, field);
  }
  // atob is a JavaScript global (no Node built-in import): the pattern above already admitted only base64.
  const bytes = Uint8Array.from(atob(raw), (char) => char.charCodeAt(0));
  if (bytes.length === 0 || bytes.length > maxBytes) {
    throw new ValidationFailedError(`${field} must be base64 of 1 to ${maxBytes} bytes.`, field);
  }
  return bytes;
}

/** The largest key envelope (version 2, 255 slots of 113 bytes). */
export const MAX_KEY_ENVELOPE_BYTES_V2 = 2 + 255 * 113;
