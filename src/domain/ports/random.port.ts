/** Cryptographically secure random bytes. */
export abstract class RandomSource {
  abstract bytes(length: number): Uint8Array;
}
