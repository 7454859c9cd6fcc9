import { randomBytes } from 'node:crypto';
import { RandomSource } from '../../domain/ports/random.port';

/** OpenSSL's CSPRNG via node:crypto. */
export class NodeRandomSource extends RandomSource {
  bytes(length: number): Uint8Array {
    return new Uint8Array(randomBytes(length));
  }
}
