import { randomFillSync } from 'node:crypto';
import { RandomSource } from '../../domain/ports/random.port';

/**
 * Bytes fetched from OpenSSL per refill. Each call into OpenSSL costs ~2 µs whatever its size,
 * while a seal draws two 32-byte values; one refill serves 64 of them.
 */
const POOL_BYTES = 4_096;
/** Requests larger than this skip the pool: they would drain it for little saving. */
const POOL_MAX_REQUEST_BYTES = 256;

/**
 * OpenSSL's CSPRNG via node:crypto, drawn in POOL_BYTES blocks and handed out in order. The
 * pool holds output not yet used, which is no more exposure than OpenSSL's own DRBG state in
 * the same process (it determines that output too). Bytes handed out are wiped from the pool,
 * so the process keeps no second copy of a key drawn from it.
 */
export class NodeRandomSource extends RandomSource {
  private readonly pool = new Uint8Array(POOL_BYTES);
  /** Start of the unused part of the pool; POOL_BYTES when it is empty. */
  private offset = POOL_BYTES;

  bytes(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new RangeError('A byte count must be a non-negative integer');
    }
    if (length > POOL_MAX_REQUEST_BYTES) return randomFillSync(new Uint8Array(length));
    if (this.offset + length > POOL_BYTES) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const end = this.offset + length;
    const out = this.pool.slice(this.offset, end);
    this.pool.fill(0, this.offset, end);
    this.offset = end;
    return out;
  }
}
