import { makeError } from 'ethers';
import http from 'node:http';
import https from 'node:https';
import { IntegrityCheckFailedError } from '../../../domain/errors';
import { MAX_CHUNK_BYTES } from './chunk-plan';

/** A chunk's code: 0x00 (STOP, so a call into it does nothing) then the data. */
const CHUNK_STOP_HEX = '00';
const HEX_PREFIX = '0x';
/** Hex digits per byte. */
const HEX_DIGITS_PER_BYTE = 2;
/** Where a chunk's data starts in its eth_getCode result: after `0x` and the STOP byte. */
const CHUNK_DATA_HEX_START = HEX_PREFIX.length + CHUNK_STOP_HEX.length;

/**
 * Decodes the hex digits of `hex` from `hexStart` to its end into `target` at `offset`, natively
 * (Buffer's hex codec) and without an intermediate array. Returns the bytes written. RangeError
 * for an odd digit count, a range past the end of `target`, or a character that is not a hex digit
 * (bytes before it may already be written).
 */
export function decodeHexInto(hex: string, hexStart: number, target: Uint8Array, offset: number): number {
  const digits = hex.length - hexStart;
  if (!Number.isInteger(hexStart) || hexStart < 0 || digits < 0 || digits % HEX_DIGITS_PER_BYTE !== 0) {
    throw new RangeError('hex input must hold an even number of digits');
  }
  const length = digits / HEX_DIGITS_PER_BYTE;
  if (!Number.isInteger(offset) || offset < 0 || offset + length > target.length) {
    throw new RangeError(`${length} bytes do not fit at offset ${offset} of ${target.length}`);
  }
  if (length === 0) return 0;
  const view = Buffer.from(target.buffer, target.byteOffset, target.byteLength);
  // write() stops at the first pair that is not hex; a short count is how a bad digit shows.
  const written = view.write(hexStart === 0 ? hex : hex.slice(hexStart), offset, length, 'hex');
  if (written !== length) throw new RangeError('hex input holds a character that is not a hex digit');
  return length;
}

/**
 * Builds a record's content from its chunks' eth_getCode results, in any order of arrival, in one
 * buffer of `contentLength` bytes allocated up front. The writer (chunk-plan.ts) stores full chunks
 * then the remainder, so chunk i normally lands at i × MAX_CHUNK_BYTES and is decoded straight
 * there. A chunk of another length (a registry accepts any split) is kept aside, and finish() then
 * copies everything once into a fresh buffer: still correct, at twice the memory.
 */
export class ChunkAssembler {
  private readonly content: Uint8Array;
  /** Each chunk's data once added: a view into `content` or, off the usual layout, its own array. */
  private readonly parts: (Uint8Array | undefined)[];
  private readonly usualChunkCount: number;
  private offLayout = false;

  /** IntegrityCheckFailedError when `chunkCount` chunks of 1 to MAX_CHUNK_BYTES cannot hold `contentLength`. */
  constructor(
    private readonly contentLength: number,
    chunkCount: number,
  ) {
    if (
      !Number.isSafeInteger(contentLength) ||
      contentLength < chunkCount ||
      contentLength > chunkCount * MAX_CHUNK_BYTES
    ) {
      throw new IntegrityCheckFailedError('The content on the ledger does not have the recorded length.');
    }
    this.content = new Uint8Array(contentLength);
    this.parts = new Array<Uint8Array | undefined>(chunkCount);
    this.usualChunkCount = Math.ceil(contentLength / MAX_CHUNK_BYTES);
  }

  /**
   * Adds chunk `index` from its code as eth_getCode returned it (`0x00` then the data as hex).
   * IntegrityCheckFailedError if that is not a registry chunk.
   */
  add(index: number, code: string): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.parts.length || this.parts[index]) {
      throw new RangeError(`chunk ${index} is not an outstanding chunk of this content`);
    }
    const length = (code.length - CHUNK_DATA_HEX_START) / HEX_DIGITS_PER_BYTE;
    if (
      !Number.isInteger(length) ||
      length < 1 ||
      length > MAX_CHUNK_BYTES ||
      !code.startsWith(HEX_PREFIX + CHUNK_STOP_HEX)
    ) {
      throw notAChunk();
    }
    const usualOffset = index * MAX_CHUNK_BYTES;
    const inLayout =
      index < this.usualChunkCount && length === Math.min(MAX_CHUNK_BYTES, this.contentLength - usualOffset);
    const part = inLayout ? this.content.subarray(usualOffset, usualOffset + length) : new Uint8Array(length);
    try {
      decodeHexInto(code, CHUNK_DATA_HEX_START, part, 0);
    } catch {
      throw notAChunk();
    }
    this.parts[index] = part;
    if (!inLayout) this.offLayout = true;
  }

  /** The content, once every chunk is added; IntegrityCheckFailedError if the lengths do not add up. */
  finish(): Uint8Array {
    let total = 0;
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i];
      if (!part) throw new RangeError(`chunk ${i} was not added`);
      total += part.length;
    }
    if (total !== this.contentLength) {
      throw new IntegrityCheckFailedError('The content on the ledger does not have the recorded length.');
    }
    if (!this.offLayout) return this.content;
    const content = new Uint8Array(total);
    let offset = 0;
    for (const part of this.parts as Uint8Array[]) {
      content.set(part, offset);
      offset += part.length;
    }
    return content;
  }
}

function notAChunk(): IntegrityCheckFailedError {
  return new IntegrityCheckFailedError('A content chunk on the ledger is not a registry chunk.');
}

/** The largest eth_getCode answer a chunk can give: its code as hex plus a generous JSON envelope. */
const MAX_RESPONSE_BYTES = CHUNK_DATA_HEX_START + HEX_DIGITS_PER_BYTE * MAX_CHUNK_BYTES + 4_096;
/** A throttled request (HTTP 429) is retried after a pause that doubles each time, within the timeout. */
const THROTTLE_SLOT_MS = 250;
const HTTP_TOO_MANY_REQUESTS = 429;
const MS_PER_SECOND = 1_000;

let nextRequestId = 1;

/**
 * `eth_getCode(address, "latest")` as the node's hex string, over one JSON-RPC request. It skips
 * ethers on purpose: FetchRequest copies every response body twice (FetchResponse's constructor
 * and its `body` getter), and getCode re-encodes the result (getBytes + hexlify, a short string per
 * byte); for a 10 MiB record that was ~180 MiB of short-lived strings and arrays. Here the socket's
 * own buffer is parsed natively and the result string is handed on as it is.
 * Failures are ethers-style errors (TIMEOUT, SERVER_ERROR with `info.responseStatus`, BAD_DATA,
 * UNKNOWN_ERROR) or the socket's own, for rpc-failures.ts; none names the URL.
 */
export async function fetchCode(rpcUrl: string, address: string, timeoutMs: number): Promise<string> {
  const id = nextRequestId++;
  const payload = JSON.stringify({ jsonrpc: '2.0', id, method: 'eth_getCode', params: [address, 'latest'] });
  const deadlineAt = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const response = await post(rpcUrl, payload, Math.max(1, deadlineAt - Date.now()));
    if (response.status === HTTP_TOO_MANY_REQUESTS) {
      const pauseMs = throttlePauseMs(response.retryAfter, attempt);
      if (Date.now() + pauseMs < deadlineAt) {
        await new Promise((resume) => setTimeout(resume, pauseMs));
        continue;
      }
    }
    if (response.status < 200 || response.status > 299) {
      throw makeError('the RPC answered with an HTTP error', 'SERVER_ERROR', {
        request: 'eth_getCode',
        info: { responseStatus: `${response.status} ${response.statusMessage}` },
      });
    }
    return codeResult(response.body, id);
  }
}

function throttlePauseMs(retryAfter: string | undefined, attempt: number): number {
  // RFC 9110 §10.2.3: Retry-After in whole seconds (the HTTP-date form is not worth honouring here).
  if (retryAfter && /^\d+$/.test(retryAfter)) return Number(retryAfter) * MS_PER_SECOND;
  return THROTTLE_SLOT_MS * 2 ** attempt * (0.5 + Math.random());
}

function codeResult(body: Buffer, id: number): string {
  let reply: unknown;
  try {
    reply = JSON.parse(body.toString('utf8'));
  } catch {
    throw makeError('the eth_getCode response is not JSON', 'BAD_DATA', { value: null });
  }
  const { id: replyId, result, error } = (reply ?? {}) as { id?: unknown; result?: unknown; error?: unknown };
  if (error !== undefined) throw makeError('eth_getCode returned a JSON-RPC error', 'UNKNOWN_ERROR');
  if (replyId !== id || typeof result !== 'string') {
    throw makeError('the eth_getCode response is not a code result', 'BAD_DATA', { value: null });
  }
  return result;
}

interface RpcResponse {
  readonly status: number;
  readonly statusMessage: string;
  readonly retryAfter?: string;
  readonly body: Buffer;
}

/** One HTTP POST of `payload`; the body is kept in the buffers the socket read it into. */
function post(rpcUrl: string, payload: string, timeoutMs: number): Promise<RpcResponse> {
  return new Promise((resolve, reject) => {
    const client = rpcUrl.startsWith('https:') ? https : http;
    const request = client.request(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' } });
    request.setTimeout(timeoutMs, () => request.destroy(makeError('the RPC did not answer in time', 'TIMEOUT')));
    request.on('error', reject);
    request.on('response', (response) => {
      const parts: Buffer[] = [];
      let received = 0;
      response.on('data', (part: Buffer) => {
        received += part.length;
        if (received > MAX_RESPONSE_BYTES) {
          request.destroy(makeError('the eth_getCode response is larger than any chunk', 'BAD_DATA', { value: null }));
          return;
        }
        parts.push(part);
      });
      response.on('error', reject);
      response.on('end', () => {
        const retryAfter = response.headers['retry-after'];
        resolve({
          status: response.statusCode ?? 0,
          statusMessage: response.statusMessage ?? '',
          retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
          body: parts.length === 1 ? parts[0] : Buffer.concat(parts, received),
        });
      });
    });
    request.end(payload);
  });
}
