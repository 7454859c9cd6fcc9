export abstract class Hasher {
  abstract sha256(data: Uint8Array): Uint8Array;
}
