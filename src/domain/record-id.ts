import { ValidationFailedError } from './errors';
import { bytesToHex, hexToBytes } from './bytes';

/** Record ids are 32 random bytes, written `0x` + 64 lower-case hex characters. */
export const RECORD_ID_BYTES = 32;
const RECORD_ID_PATTERN = /^0x[0-9a-fA-F]{64}$/;

export class RecordId {
  private constructor(readonly bytes: Uint8Array) {}

  static parse(raw: unknown): RecordId {
    if (typeof raw !== 'string' || !RECORD_ID_PATTERN.test(raw)) {
      throw new ValidationFailedError('recordId must be 0x followed by 64 hex characters.', 'recordId');
    }
    return new RecordId(hexToBytes(raw.slice(2)));
  }

  static fromBytes(bytes: Uint8Array): RecordId {
    if (bytes.length !== RECORD_ID_BYTES) {
      throw new ValidationFailedError(`recordId must be ${RECORD_ID_BYTES} bytes.`, 'recordId');
    }
    return new RecordId(Uint8Array.from(bytes));
  }

  get hex(): string {
    return `0x${bytesToHex(this.bytes)}`;
  }

  equals(other: RecordId): boolean {
    return this.hex === other.hex;
  }

  toString(): string {
    return this.hex;
  }
}
