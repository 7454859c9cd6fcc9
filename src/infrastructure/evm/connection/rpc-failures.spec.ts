import { makeError } from 'ethers';
import { ChainUnavailableError } from '../../../domain/errors';
import { READ_ATTEMPTS, readWithRetry } from './rpc-failures';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8545'), { code: 'ECONNREFUSED' });
const revert = () =>
  makeError('execution reverted', 'CALL_EXCEPTION', {
    action: 'call',
    data: '0x1234',
    reason: null,
    transaction: { to: null, data: '0x' },
    invocation: null,
    revert: null,
  });

describe('readWithRetry', () => {
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
  };

  beforeEach(() => waits.splice(0));

  it('retries a transport failure with growing backoff and returns the answer', async () => {
    let calls = 0;
    const value = await readWithRetry(
      'supchain',
      5_000,
      async () => {
        calls++;
        if (calls < READ_ATTEMPTS) throw refused();
        return 42;
      },
      sleep,
    );
    expect(value).toBe(42);
    expect(calls).toBe(READ_ATTEMPTS);
    expect(waits).toHaveLength(READ_ATTEMPTS - 1);
    expect(waits[1]).toBeGreaterThan(waits[0]);
  });

  it('gives up after READ_ATTEMPTS with ChainUnavailableError naming the ledger, not the URL', async () => {
    let calls = 0;
    const failure = readWithRetry(
      'medchain',
      5_000,
      async () => {
        calls++;
        throw refused();
      },
      sleep,
    );
    await expect(failure).rejects.toThrow(ChainUnavailableError);
    await expect(failure).rejects.toThrow(/MEDchain is unavailable: the RPC request failed \(ECONNREFUSED\)/);
    expect(calls).toBe(READ_ATTEMPTS);
  });

  it('passes a revert through at once: it is an answer, not a failure', async () => {
    let calls = 0;
    await expect(
      readWithRetry(
        'supchain',
        5_000,
        async () => {
          calls++;
          throw revert();
        },
        sleep,
      ),
    ).rejects.toMatchObject({ code: 'CALL_EXCEPTION' });
    expect(calls).toBe(1);
  });

  it('does not retry a call that used up the deadline, and answers within it', async () => {
    let calls = 0;
    const started = Date.now();
    await expect(
      readWithRetry('supchain', 150, () => {
        calls++;
        return new Promise<never>(() => undefined);
      }),
    ).rejects.toThrow(/did not answer in time/);
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('does not start a retry whose backoff would end past the deadline', async () => {
    let calls = 0;
    await expect(
      readWithRetry(
        'supchain',
        20,
        async () => {
          calls++;
          throw refused();
        },
        sleep,
      ),
    ).rejects.toThrow(ChainUnavailableError);
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });
});
