import { createHash } from 'node:crypto';
import { RandomSource } from '../../src/domain/ports/random.port';

/** Deterministic stream: SHA-256(seed || counter) blocks, so two ciphers can draw identical "randomness". */
export class SeededRandom extends RandomSource {
  private counter = 0;

  constructor(private readonly seed: string) {
    super();
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += 32) {
      const block = createHash('sha256').update(`${this.seed}/${this.counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, length - offset)), offset);
    }
    return out;
  }
}
