import { randomBytes } from 'node:crypto';
import { FeeData, getAddress, hexlify, makeError, toQuantity, Transaction, Wallet } from 'ethers';
import {
  OutgoingTransaction,
  SendDeadlineExceededError,
  SenderProvider,
  TransactionSender,
} from './transaction-sender';

const CHAIN_ID = 1_337_101n;
const FIRST_NONCE = 7;
const DEADLINE_MS = 10_000;

/** A node that records every raw transaction it is sent; `refuse` decides which it turns down. */
class FakeNode implements SenderProvider {
  pendingNonce = FIRST_NONCE;
  /** Every eth_sendRawTransaction, decoded, in call order. */
  readonly broadcasts: Transaction[] = [];
  /** Broadcasts not yet answered: the round trip in progress. */
  inFlight = 0;
  maxInFlight = 0;
  nonceReads = 0;
  /** Held broadcasts wait for release(). */
  private held: (() => void)[] = [];
  hold = false;
  refuse: (tx: Transaction, attempt: number) => Error | null = () => null;
  readonly known = new Set<string>();

  async send(method: string, params: unknown[]): Promise<unknown> {
    if (method === 'eth_getTransactionCount') {
      this.nonceReads += 1;
      return toQuantity(this.pendingNonce);
    }
    if (method === 'eth_getTransactionByHash') return this.known.has(params[0] as string) ? { hash: params[0] } : null;
    if (method !== 'eth_sendRawTransaction') throw new Error(`unexpected ${method}`);
    const tx = Transaction.from(params[0] as string);
    const attempt = this.broadcasts.filter((earlier) => earlier.hash === tx.hash).length;
    this.broadcasts.push(tx);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      // Answers come later, as over a socket: the requests of one tick overlap.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
      const refusal = this.refuse(tx, attempt);
      if (refusal) throw refusal;
      this.known.add(tx.hash!);
      this.pendingNonce = Math.max(this.pendingNonce, tx.nonce + 1);
      return tx.hash;
    } finally {
      this.inFlight -= 1;
    }
  }

  async getFeeData(): Promise<FeeData> {
    return new FeeData(null, 2_000_000_000n, 1_000_000_000n);
  }

  async getTransactionCount(): Promise<number> {
    return this.pendingNonce;
  }

  release(): void {
    this.hold = false;
    for (const resolve of this.held.splice(0)) resolve();
  }
}

describe('TransactionSender', () => {
  const wallet = new Wallet(hexlify(randomBytes(32)));
  const registry = getAddress(hexlify(randomBytes(20)));
  let node: FakeNode;
  let sender: TransactionSender;

  const call = (size = 100): OutgoingTransaction => ({ to: registry, data: randomBytes(size), gasLimit: 500_000 });
  const send = (tx: OutgoingTransaction = call()): Promise<string> => sender.send(tx, Date.now() + DEADLINE_MS);
  const nonces = (txs: Transaction[]): number[] => txs.map((tx) => tx.nonce);

  beforeEach(() => {
    node = new FakeNode();
    sender = new TransactionSender(node, wallet, CHAIN_ID);
  });

  it('signs what is queued in one tick with consecutive nonces and broadcasts it in one round', async () => {
    const calls = Array.from({ length: 5 }, () => call());
    const hashes = await Promise.all(calls.map((tx) => send(tx)));

    expect(nonces(node.broadcasts)).toEqual([7, 8, 9, 10, 11]);
    expect(node.maxInFlight).toBe(5);
    expect(node.broadcasts.map((tx) => tx.hash)).toEqual(hashes);
    expect(node.broadcasts.map((tx) => tx.data)).toEqual(calls.map((tx) => hexlify(tx.data)));
    expect(node.broadcasts.every((tx) => tx.from === wallet.address && tx.chainId === CHAIN_ID)).toBe(true);
  });

  it('queues what arrives during a round for the next one, nonces continuing without a re-read', async () => {
    node.hold = true;
    const first = send();
    await new Promise((resolve) => setImmediate(resolve));
    const later = [send(), send(), send()];
    await new Promise((resolve) => setImmediate(resolve));
    expect(node.broadcasts).toHaveLength(1);

    node.release();
    await Promise.all([first, ...later]);
    expect(nonces(node.broadcasts)).toEqual([7, 8, 9, 10]);
    expect(node.maxInFlight).toBe(3);
    expect(node.nonceReads).toBe(1);
  });

  it('never broadcasts a transaction whose deadline passed while it waited', async () => {
    node.hold = true;
    const first = send();
    await new Promise((resolve) => setImmediate(resolve));
    const late = sender.send(call(), Date.now() + 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    node.release();

    await first;
    await expect(late).rejects.toThrow(SendDeadlineExceededError);
    expect(node.broadcasts).toHaveLength(1);
    // The nonce it would have had goes to the next transaction.
    await send();
    expect(nonces(node.broadcasts)).toEqual([7, 8]);
  });

  it('closes a hole by sending the refused transaction again when the refusal was transient', async () => {
    node.refuse = (tx, attempt) => (tx.nonce === 8 && attempt === 0 ? new Error('connection reset') : null);
    const hashes = await Promise.all([send(), send(), send()]);

    expect(nonces(node.broadcasts)).toEqual([7, 8, 9, 8]);
    expect(node.broadcasts[3].hash).toBe(node.broadcasts[1].hash);
    expect(hashes).toEqual([7, 8, 9].map((nonce) => node.broadcasts.find((tx) => tx.nonce === nonce)!.hash));
  });

  it('fills a hole it cannot close with a no-op transfer and fails only the refused caller', async () => {
    const refused = new Error('invalid transaction');
    node.refuse = (tx) => (tx.nonce === 8 && tx.to === registry ? refused : null);
    const outcomes = await Promise.allSettled([send(), send(), send()]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBe(refused);
    const filler = node.broadcasts[node.broadcasts.length - 1];
    expect(filler.nonce).toBe(8);
    expect(filler.to).toBe(wallet.address);
    expect(filler.value).toBe(0n);
    expect(filler.data).toBe('0x');
    expect(filler.gasLimit).toBe(21_000n);

    // A failed round makes the next one read the nonce from the node again.
    await send();
    expect(node.nonceReads).toBe(2);
    expect(node.broadcasts[node.broadcasts.length - 1].nonce).toBe(10);
  });

  it('counts a refused transaction the node turns out to hold as sent', async () => {
    node.refuse = (tx, attempt) => {
      if (tx.nonce !== 8) return null;
      // The first answer was lost; the node has it, and says so to the second.
      if (attempt === 0) node.known.add(tx.hash!);
      return new Error(attempt === 0 ? 'socket hang up' : 'already known');
    };
    const outcomes = await Promise.allSettled([send(), send(), send()]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(node.broadcasts.some((tx) => tx.to === wallet.address)).toBe(false);
  });

  it('retries once, on a re-read nonce, when another user of the key took the nonce', async () => {
    node.refuse = (tx) => {
      if (tx.nonce !== FIRST_NONCE) return null;
      // The other user's transaction took it.
      node.pendingNonce = FIRST_NONCE + 1;
      return makeError('nonce has already been used', 'NONCE_EXPIRED');
    };

    await send();
    expect(nonces(node.broadcasts)).toEqual([7, 8]);
    expect(node.nonceReads).toBe(2);
  });

  it('gives up after one retry', async () => {
    node.refuse = () => makeError('nonce has already been used', 'NONCE_EXPIRED');
    await expect(send()).rejects.toThrow(/nonce has already been used/);
    expect(node.broadcasts).toHaveLength(2);
  });

  it('fails every queued transaction when the node cannot be reached, and re-reads the nonce after', async () => {
    node.refuse = () => new Error('connect ECONNREFUSED');
    const outcomes = await Promise.allSettled([send(), send()]);
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);

    node.refuse = () => null;
    await send();
    expect(node.nonceReads).toBe(2);
    expect(node.broadcasts[node.broadcasts.length - 1].nonce).toBe(7);
  });
});
