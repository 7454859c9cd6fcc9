import { createHash } from 'node:crypto';
import { Hasher } from '../../domain/ports/hasher.port';

export class NodeHasher extends Hasher {
  sha256(data: Uint8Array): Uint8Array {
    return new Uint8Array(createHash('sha256').update(data).digest());
  }

  sha1(data: Uint8Array): Uint8Array {
    return new Uint8Array(createHash('sha1').update(data).digest());
  }
}
