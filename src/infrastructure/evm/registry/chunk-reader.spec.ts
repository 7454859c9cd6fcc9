import { isError } from 'ethers';
import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { IntegrityCheckFailedError } from '../../../domain/errors';
import { MAX_CHUNK_BYTES } from './chunk-plan';
import { ChunkAssembler, decodeHexInto, fetchCode } from './chunk-reader';

/** eth_getCode's answer for a chunk holding `data`: 0x, the STOP byte, the data. */
function chunkCode(data: Uint8Array): string {
  return `0x00${Buffer.from(data).toString('hex')}`;
}

/** `content` cut at the given lengths, as chunk codes. */
function chunksOf(content: Uint8Array, lengths: readonly number[]): string[] {
  let start = 0;
  return lengths.map((length) => {
    start += length;
    return chunkCode(content.subarray(start - length, start));
  });
}

describe('decodeHexInto', () => {
  it('decodes the digits after hexStart into the target at an offset, either case', () => {
    const target = new Uint8Array(6);
    expect(decodeHexInto('0x00a1B2c3', 4, target, 2)).toBe(3);
    expect([...target]).toEqual([0, 0, 0xa1, 0xb2, 0xc3, 0]);
  });

  it('writes into a view at its own offset, not its buffer’s', () => {
    const backing = new Uint8Array(8);
    decodeHexInto('ffee', 0, backing.subarray(3, 6), 1);
    expect([...backing]).toEqual([0, 0, 0, 0, 0xff, 0xee, 0, 0]);
  });

  it('accepts nothing to decode', () => {
    expect(decodeHexInto('0x', 2, new Uint8Array(0), 0)).toBe(0);
  });

  it('refuses an odd number of digits', () => {
    expect(() => decodeHexInto('0xabc', 2, new Uint8Array(2), 0)).toThrow(RangeError);
  });

  it('refuses bytes that do not fit the target, before writing any', () => {
    const target = new Uint8Array(3);
    expect(() => decodeHexInto('aabbcc', 0, target, 1)).toThrow(RangeError);
    expect(() => decodeHexInto('aa', 0, target, 3)).toThrow(RangeError);
    expect(() => decodeHexInto('aa', 0, target, -1)).toThrow(RangeError);
    expect([...target]).toEqual([0, 0, 0]);
  });

  it('refuses characters that are not hex digits, wherever they are', () => {
    for (const hex of ['zz00', '00zz', '0 11', 'g0', '0x00']) {
      expect(() => decodeHexInto(hex, 0, new Uint8Array(2), 0)).toThrow(RangeError);
    }
  });
});

describe('ChunkAssembler', () => {
  const contentLength = 2 * MAX_CHUNK_BYTES + 1_000;
  const content = randomBytes(contentLength);

  it('assembles the writer’s layout (full chunks, then the rest) in any order of arrival', () => {
    const codes = chunksOf(content, [MAX_CHUNK_BYTES, MAX_CHUNK_BYTES, 1_000]);
    const assembler = new ChunkAssembler(contentLength, codes.length);
    for (const index of [2, 0, 1]) assembler.add(index, codes[index]);
    expect(Buffer.from(assembler.finish()).equals(content)).toBe(true);
  });

  it('assembles any other split the registry accepts, with chunks in and off the usual places', () => {
    for (const lengths of [
      [MAX_CHUNK_BYTES, 100, MAX_CHUNK_BYTES, 900],
      [1_000, MAX_CHUNK_BYTES, MAX_CHUNK_BYTES],
      [MAX_CHUNK_BYTES, MAX_CHUNK_BYTES - 1, 1_001],
    ]) {
      const codes = chunksOf(content, lengths);
      const assembler = new ChunkAssembler(contentLength, codes.length);
      for (let index = codes.length - 1; index >= 0; index--) assembler.add(index, codes[index]);
      expect(Buffer.from(assembler.finish()).equals(content)).toBe(true);
    }
  });

  it('assembles empty content from no chunks', () => {
    expect(new ChunkAssembler(0, 0).finish()).toEqual(new Uint8Array(0));
  });

  it('refuses a length the chunks cannot hold before allocating it', () => {
    expect(() => new ChunkAssembler(3 * MAX_CHUNK_BYTES + 1, 3)).toThrow(IntegrityCheckFailedError);
    expect(() => new ChunkAssembler(2, 3)).toThrow(IntegrityCheckFailedError);
    expect(() => new ChunkAssembler(2 ** 60, 1)).toThrow(IntegrityCheckFailedError);
    expect(() => new ChunkAssembler(1.5, 1)).toThrow(IntegrityCheckFailedError);
  });

  it('refuses code that is not a registry chunk', () => {
    const notChunks = [
      '0x', // no contract
      '0x00', // STOP and no data
      '0x6080', // a contract that does not start with STOP
      '0x00abc', // an odd digit count
      '0x00zz', // not hex
      `0x00${'ab'.repeat(MAX_CHUNK_BYTES + 1)}`, // over the EIP-170 limit
      '00ab', // no 0x
    ];
    for (const code of notChunks) {
      expect(() => new ChunkAssembler(MAX_CHUNK_BYTES, 1).add(0, code)).toThrow(IntegrityCheckFailedError);
    }
  });

  it('refuses chunks whose lengths do not add up to the recorded length', () => {
    const short = new ChunkAssembler(3_000, 2);
    short.add(0, chunkCode(randomBytes(1_000)));
    short.add(1, chunkCode(randomBytes(1_000)));
    expect(() => short.finish()).toThrow(IntegrityCheckFailedError);

    const long = new ChunkAssembler(1_000, 1);
    long.add(0, chunkCode(randomBytes(1_001)));
    expect(() => long.finish()).toThrow(IntegrityCheckFailedError);
  });

  it('refuses an index out of range or added twice, and finishing with a chunk missing', () => {
    const assembler = new ChunkAssembler(2_000, 2);
    expect(() => assembler.add(2, chunkCode(randomBytes(1_000)))).toThrow(RangeError);
    expect(() => assembler.add(-1, chunkCode(randomBytes(1_000)))).toThrow(RangeError);
    assembler.add(0, chunkCode(randomBytes(1_000)));
    expect(() => assembler.add(0, chunkCode(randomBytes(1_000)))).toThrow(RangeError);
    expect(() => assembler.finish()).toThrow(RangeError);
  });
});

describe('fetchCode', () => {
  type Handler = (payload: { id: number; method: string; params: unknown[] }, response: ServerResponse) => void;
  let server: Server;
  let url: string;
  let handle: Handler;

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const body: Buffer[] = [];
      request.on('data', (part: Buffer) => body.push(part));
      request.on('end', () => handle(JSON.parse(Buffer.concat(body).toString('utf8')), response));
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((closed) => server.close(closed));
  });

  const answer = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  it('asks for the code at the latest block and returns the result string as the node sent it', async () => {
    const code = chunkCode(randomBytes(MAX_CHUNK_BYTES));
    const address = '0x' + '11'.repeat(20);
    let asked: unknown;
    handle = (payload, response) => {
      asked = { method: payload.method, params: payload.params };
      answer(response, 200, { jsonrpc: '2.0', id: payload.id, result: code });
    };
    expect(await fetchCode(url, address, 5_000)).toBe(code);
    expect(asked).toEqual({ method: 'eth_getCode', params: [address, 'latest'] });
  });

  it('retries a throttled request (HTTP 429) after the pause the node asks for', async () => {
    let calls = 0;
    handle = (payload, response) => {
      calls++;
      if (calls < 3) answer(response, 429, 'slow down', { 'retry-after': '0' });
      else answer(response, 200, { jsonrpc: '2.0', id: payload.id, result: '0x00aa' });
    };
    expect(await fetchCode(url, '0x' + '22'.repeat(20), 5_000)).toBe('0x00aa');
    expect(calls).toBe(3);
  });

  it('gives up on throttling that outlasts the timeout, naming the status', async () => {
    handle = (_payload, response) => answer(response, 429, 'slow down', { 'retry-after': '60' });
    const failure = await fetchCode(url, '0x' + '22'.repeat(20), 1_000).catch((error: unknown) => error);
    expect(isError(failure, 'SERVER_ERROR')).toBe(true);
    expect((failure as { info: { responseStatus: string } }).info.responseStatus).toMatch(/^429/);
  });

  it('fails with ethers-style codes on HTTP errors, JSON-RPC errors and answers that are not a code result', async () => {
    const cases: [Handler, string][] = [
      [(_payload, response) => answer(response, 502, 'bad gateway'), 'SERVER_ERROR'],
      [
        (p, response) => answer(response, 200, { jsonrpc: '2.0', id: p.id, error: { code: -32000, message: 'x' } }),
        'UNKNOWN_ERROR',
      ],
      [(_payload, response) => answer(response, 200, 'not json'), 'BAD_DATA'],
      [(p, response) => answer(response, 200, { jsonrpc: '2.0', id: p.id + 1, result: '0x00aa' }), 'BAD_DATA'],
      [(p, response) => answer(response, 200, { jsonrpc: '2.0', id: p.id, result: 7 }), 'BAD_DATA'],
      [
        (p, response) => answer(response, 200, { jsonrpc: '2.0', id: p.id, result: `0x${'00'.repeat(60_000)}` }),
        'BAD_DATA',
      ],
    ];
    for (const [handler, code] of cases) {
      handle = handler;
      const failure = await fetchCode(url, '0x' + '33'.repeat(20), 5_000).catch((error: unknown) => error);
      expect((failure as { code?: string }).code).toBe(code);
    }
  });

  it('times out on a node that never answers', async () => {
    handle = () => undefined;
    const failure = await fetchCode(url, '0x' + '44'.repeat(20), 300).catch((error: unknown) => error);
    expect(isError(failure, 'TIMEOUT')).toBe(true);
  });
});
