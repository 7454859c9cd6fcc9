import { IdempotencyConflictError } from '../../../src/domain/errors';
import { Clock } from '../../../src/domain/ports/clock.port';
import {
  IDEMPOTENCY_WINDOW_MS,
  IdempotencyEntry,
  IdempotencyStore,
  UploadReceipt,
} from '../../../src/domain/ports/idempotency-store.port';
import { RecordId } from '../../../src/domain/record-id';
import { NodeHasher } from '../../../src/infrastructure/crypto/node-crypto.hasher';
import { Idempotency, IdempotentUpload } from '../../../src/application/records/idempotency';

class MemoryStore extends IdempotencyStore {
  readonly entries = new Map<string, IdempotencyEntry>();

  async find(key: string): Promise<IdempotencyEntry | null> {
    return this.entries.get(key) ?? null;
  }

  async save(key: string, entry: IdempotencyEntry): Promise<void> {
    this.entries.set(key, entry);
  }

  async sweep(cutoff: Date): Promise<number> {
    let removed = 0;
    for (const [key, entry] of this.entries) {
      if (entry.storedAt < cutoff) removed += Number(this.entries.delete(key));
    }
    return removed;
  }
}

class FakeClock extends Clock {
  constructor(public time = new Date('2026-01-01T00:00:00Z')) {
    super();
  }

  now(): Date {
    return new Date(this.time.getTime());
  }

  advance(ms: number): void {
    this.time = new Date(this.time.getTime() + ms);
  }
}

const idOf = (n: number) => RecordId.parse(`0x${n.toString(16).padStart(64, '0')}`);
const receiptFor = (version: number): UploadReceipt => ({
  chain: 'supchain',
  createdAt: new Date('2026-01-01T00:00:01Z'),
  contentSha256: new Uint8Array(32),
  replicas: { supchain: { status: 'committed', version, transactions: [], blockNumber: version } },
});

/** An upload whose ledger is a list of record ids; `commitLate` makes the next write commit, then fail. */
class FakeUpload implements IdempotentUpload<string> {
  readonly ledger: string[] = [];
  readonly writes: string[] = [];
  readonly recovers: string[] = [];
  commitLate = false;
  failBeforeCommit = false;
  onWrite: () => void = () => undefined;

  async write(recordId: RecordId): Promise<string> {
    this.writes.push(recordId.hex);
    this.onWrite();
    if (this.failBeforeCommit) throw new Error('ledger unreachable');
    this.ledger.push(recordId.hex);
    if (this.commitLate) throw new Error('deadline passed');
    return `answer:${recordId.hex}`;
  }

  async recover(recordId: RecordId): Promise<string | null> {
    this.recovers.push(recordId.hex);
    return this.ledger.includes(recordId.hex) ? `answer:${recordId.hex}` : null;
  }

  replay(recordId: RecordId): string {
    return `answer:${recordId.hex}`;
  }

  receipt(): UploadReceipt {
    return receiptFor(this.ledger.length);
  }
}

describe('Idempotency', () => {
  let store: MemoryStore;
  let clock: FakeClock;
  let idempotency: Idempotency;
  let upload: FakeUpload;
  const request = (n: number, fingerprint = 'same-request') => ({
    fingerprint,
    recordId: idOf(n),
    chains: ['supchain'] as const,
  });

  beforeEach(() => {
    store = new MemoryStore();
    clock = new FakeClock();
    idempotency = new Idempotency(store, new NodeHasher(), clock);
    upload = new FakeUpload();
  });

  it('durably marks the key with the record id before the first ledger write', async () => {
    let markerAtWrite: IdempotencyEntry | undefined;
    upload.onWrite = () => (markerAtWrite = [...store.entries.values()][0]);
    await idempotency.run('key-1', 'provider:a', request(1), upload);
    expect(markerAtWrite).toMatchObject({ fingerprint: 'same-request', chains: ['supchain'], receipt: null });
    expect(markerAtWrite?.recordId.hex).toBe(idOf(1).hex);
    expect([...store.entries.values()][0].receipt).toEqual(receiptFor(1));
  });

  it('replays a completed request without touching the ledger', async () => {
    const first = await idempotency.run('key-1', 'provider:a', request(1), upload);
    const again = await idempotency.run('key-1', 'provider:a', request(2), upload);
    expect(again).toBe(first);
    expect(upload.writes).toEqual([idOf(1).hex]);
    expect(upload.recovers).toEqual([]);
  });

  it('answers a retry after a late commit (503, then mined) with that record, writing nothing twice', async () => {
    upload.commitLate = true;
    await expect(idempotency.run('key-1', 'provider:a', request(1), upload)).rejects.toThrow('deadline passed');
    upload.commitLate = false;
    const retried = await idempotency.run('key-1', 'provider:a', request(2), upload);
    expect(retried).toBe(`answer:${idOf(1).hex}`);
    expect(upload.ledger).toEqual([idOf(1).hex]);
    expect(upload.writes).toEqual([idOf(1).hex]);
    expect([...store.entries.values()][0].receipt).not.toBeNull();
  });

  it('writes again under the same record id when the earlier attempt committed nowhere', async () => {
    upload.failBeforeCommit = true;
    await expect(idempotency.run('key-1', 'provider:a', request(1), upload)).rejects.toThrow('ledger unreachable');
    upload.failBeforeCommit = false;
    await idempotency.run('key-1', 'provider:a', request(2), upload);
    expect(upload.recovers).toEqual([idOf(1).hex]);
    expect(upload.writes).toEqual([idOf(1).hex, idOf(1).hex]);
    expect(upload.ledger).toEqual([idOf(1).hex]);
  });

  it('refuses a different request under the same key, pending or completed', async () => {
    upload.failBeforeCommit = true;
    await expect(idempotency.run('key-1', 'provider:a', request(1), upload)).rejects.toThrow();
    await expect(idempotency.run('key-1', 'provider:a', request(2, 'other'), upload)).rejects.toThrow(
      IdempotencyConflictError,
    );
    upload.failBeforeCommit = false;
    await idempotency.run('key-2', 'provider:a', request(3), upload);
    await expect(idempotency.run('key-2', 'provider:a', request(4, 'other'), upload)).rejects.toThrow(
      IdempotencyConflictError,
    );
  });

  it('keeps callers apart: the same raw key from another caller is another key', async () => {
    await idempotency.run('key-1', 'provider:a', request(1), upload);
    await idempotency.run('key-1', 'provider:b', request(2, 'other'), upload);
    expect(upload.writes).toEqual([idOf(1).hex, idOf(2).hex]);
  });

  it('stores the key only as a digest', async () => {
    await idempotency.run('my-raw-key', 'provider:a', request(1), upload);
    const [storedKey] = store.entries.keys();
    expect(storedKey).toMatch(/^[0-9a-f]{64}$/);
    expect(storedKey).not.toContain('my-raw-key');
  });

  it('no longer replays once the 24-hour window has passed', async () => {
    await idempotency.run('key-1', 'provider:a', request(1), upload);
    clock.advance(IDEMPOTENCY_WINDOW_MS);
    await idempotency.run('key-1', 'provider:a', request(2), upload);
    expect(upload.writes).toEqual([idOf(1).hex]);

    clock.advance(1);
    const late = await idempotency.run('key-1', 'provider:a', request(3), upload);
    expect(late).toBe(`answer:${idOf(3).hex}`);
    expect(upload.writes).toEqual([idOf(1).hex, idOf(3).hex]);
  });

  it('runs without a key, under the fresh record id', async () => {
    await idempotency.run(undefined, 'provider:a', request(5), upload);
    expect(upload.writes).toEqual([idOf(5).hex]);
    expect(store.entries.size).toBe(0);
  });
});
