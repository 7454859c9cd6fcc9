import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wherePhi } from '../../../test/fakes/find-phi';
import { IdempotencyEntry } from '../../domain/ports/idempotency-store.port';
import { RecordId } from '../../domain/record-id';
import { FileIdempotencyStore } from './file-idempotency.store';

const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);
const RECORD = RecordId.parse(`0x${'12'.repeat(32)}`);
const DAY_MS = 24 * 60 * 60 * 1000;

const marker = (storedAt: Date): IdempotencyEntry => ({
  fingerprint: 'f'.repeat(64),
  recordId: RECORD,
  chains: ['supchain', 'medchain'],
  receipt: null,
  storedAt,
});

describe('FileIdempotencyStore', () => {
  let dir: string;
  let store: FileIdempotencyStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'emr-idempotency-'));
    store = new FileIdempotencyStore(dir);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips a pending marker and a completed receipt', async () => {
    const storedAt = new Date('2026-03-01T10:00:00Z');
    await store.save(KEY_A, marker(storedAt));
    expect(await store.find(KEY_A)).toEqual(marker(storedAt));

    const completed: IdempotencyEntry = {
      ...marker(storedAt),
      receipt: {
        chain: 'supchain',
        createdAt: new Date('2026-03-01T10:00:02Z'),
        contentSha256: new Uint8Array(32).fill(7),
        replicas: {
          supchain: { status: 'committed', version: 3, transactions: [`0x${'ab'.repeat(32)}`], blockNumber: 42 },
          medchain: { status: 'pending' },
        },
      },
    };
    await store.save(KEY_A, completed);
    expect(await store.find(KEY_A)).toEqual(completed);
    expect(await store.find(KEY_B)).toBeNull();
  });

  it('names files by the key digest only and refuses anything else as a key', async () => {
    await store.save(KEY_A, marker(new Date()));
    expect(readdirSync(dir)).toEqual([`${KEY_A}.json`]);
    await expect(store.save('raw-client-key', marker(new Date()))).rejects.toThrow();
  });

  it('#11.16 writes nothing but the fields of the entry (extra properties never reach the disk, in any encoding)', async () => {
    const entry = {
      ...marker(new Date()),
      receipt: {
        chain: 'supchain' as const,
        createdAt: new Date(),
        contentSha256: new Uint8Array(32),
        replicas: {
          supchain: {
            status: 'committed' as const,
            version: 1,
            transactions: [],
            blockNumber: 1,
            fileName: 'scan.png',
          },
        },
      },
      patientId: 'P-SECRET',
    };
    await store.save(KEY_A, entry);
    const onDisk = readFileSync(join(dir, `${KEY_A}.json`));
    for (const phi of ['P-SECRET', 'scan.png'])
      expect({ phi, found: wherePhi(onDisk, phi) }).toEqual({ phi, found: null });
  });

  it('sweeps entries older than the cutoff and keeps the rest', async () => {
    const now = new Date('2026-03-02T12:00:00Z');
    await store.save(KEY_A, marker(new Date(now.getTime() - DAY_MS - 1)));
    await store.save(KEY_B, marker(new Date(now.getTime() - DAY_MS + 1000)));
    writeFileSync(join(dir, `${'c'.repeat(64)}.json.1234.tmp`), '{"torn":');
    writeFileSync(join(dir, `${'d'.repeat(64)}.json`), 'not json');

    const removed = await store.sweep(new Date(now.getTime() - DAY_MS));
    expect(removed).toBe(2);
    expect(await store.find(KEY_A)).toBeNull();
    expect(await store.find(KEY_B)).not.toBeNull();
    expect(readdirSync(dir)).toEqual([`${KEY_B}.json`]);
  });

  it('#11.16 rewrites a version 1 entry (which held the whole answer, PHI included) as a pending marker', async () => {
    mkdirSync(dir, { recursive: true });
    const storedAt = new Date('2026-03-02T11:00:00Z');
    const legacy = {
      fingerprint: 'f'.repeat(64),
      storedAt: storedAt.toISOString(),
      outcome: {
        target: 'both',
        complete: true,
        metadata: {
          recordId: RECORD.hex,
          patientId: 'P-LEGACY',
          fileName: 'legacy-scan.png',
          uploader: 'legacy-clinic',
        },
        replicas: {},
      },
    };
    const path = join(dir, `${KEY_A}.json`);
    writeFileSync(path, JSON.stringify(legacy));
    expect(await store.find(KEY_A)).toEqual(marker(storedAt));

    await store.sweep(new Date(storedAt.getTime() - 1));
    const onDisk = readFileSync(path);
    for (const phi of ['P-LEGACY', 'legacy-scan.png', 'legacy-clinic'])
      expect({ phi, found: wherePhi(onDisk, phi) }).toEqual({ phi, found: null });
    expect(await store.find(KEY_A)).toEqual(marker(storedAt));

    writeFileSync(path, JSON.stringify(legacy));
    await store.sweep(new Date(storedAt.getTime() + 1));
    expect(existsSync(path)).toBe(false);
  });
});
