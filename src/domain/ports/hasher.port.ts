export abstract class Hasher {
  abstract sha256(data: Uint8Array): Uint8Array;
  /** SHA-1: only where an outside standard asks for it (FHIR `Attachment.hash`), never for integrity here. */
  abstract sha1(data: Uint8Array): Uint8Array;
}
