import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wherePhi } from '../../../test/fakes/find-phi';
import { ChainName } from '../../domain/chain-name';
import { NewLedgerRecord } from '../../domain/emr-record';
import { RecordId } from '../../domain/record-id';
import { FileReplicationJournal } from './file-replication.journal';

const idOf = (n: number) => RecordId.parse(`0x${n.toString(16).padStart(64, '0')}`);

function draft(recordId: RecordId, contentBytes = 64): NewLedgerRecord {
  return {
    recordId,
    patientKey: new Uint8Array(32).fill(1),
    content: new Uint8Array(contentBytes).fill(2),
    contentSha256: new Uint8Array(32).fill(3),
    sealedHeader: new Uint8Array(40).fill(4),
    keyEnvelope: new Uint8Array(100).fill(5),
    signature: new Uint8Array(64).fill(6),
    signerKeyId: new Uint8Array(32).fill(7),
  };
}

describe('FileReplicationJournal', () => {
  let dir: string;
  let journal: FileReplicationJournal;
  const pendingDir = () => join(dir, 'pending');
  const add = (chain: ChainName, n: number) => journal.add({ chain, record: draft(idOf(n)), queuedAt: new Date() });
  /** Replaces an entry's content with bytes no reader could parse: any read of it throws. */
  const poison = (chain: ChainName, n: number) =>
    writeFileSync(join(pendingDir(), `${chain}-${idOf(n).hex.slice(2)}.json`), '\u0000 not an entry');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'emr-journal-'));
    journal = new FileReplicationJournal(dir);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips an owed copy, and forgets it once removed', async () => {
    await add('medchain', 1);
    const [ref] = await journal.pendingRefs();
    expect(ref.chain).toBe('medchain');
    expect(ref.recordId.hex).toBe(idOf(1).hex);
    const loaded = await journal.load(ref);
    expect(loaded?.record).toEqual(draft(idOf(1)));
    await journal.remove('medchain', idOf(1));
    expect(await journal.pendingRefs()).toEqual([]);
    expect(await journal.load(ref)).toBeNull();
  });

  it('#11.16 writes nothing but the ledger fields of the copy (extra properties never reach the disk, in any encoding)', async () => {
    const record = { ...draft(idOf(4)), patientId: 'P-SMUGGLED-01', fileName: 'smuggled-scan.png' };
    await journal.add({ chain: 'medchain', record, queuedAt: new Date() });
    const [entry] = readdirSync(pendingDir());
    const onDisk = readFileSync(join(pendingDir(), entry));
    for (const phi of ['P-SMUGGLED-01', 'smuggled-scan.png'])
      expect({ phi, found: wherePhi(onDisk, phi) }).toEqual({ phi, found: null });
    expect((await journal.load({ chain: 'medchain', recordId: idOf(4) }))?.record).toEqual(draft(idOf(4)));
  });

  it('counts owed copies per ledger from entry names, without reading any entry', async () => {
    await add('medchain', 1);
    await add('medchain', 2);
    await add('supchain', 3);
    for (const [chain, n] of [
      ['medchain', 1],
      ['medchain', 2],
      ['supchain', 3],
    ] as const)
      poison(chain, n);
    writeFileSync(join(pendingDir(), `medchain-${idOf(9).hex.slice(2)}.json.77.tmp`), 'torn');

    expect(await journal.pendingCounts()).toEqual({ supchain: 1, medchain: 2 });
    expect((await journal.pendingRefs()).map((ref) => `${ref.chain}:${ref.recordId.hex}`).sort()).toEqual(
      [`medchain:${idOf(1).hex}`, `medchain:${idOf(2).hex}`, `supchain:${idOf(3).hex}`].sort(),
    );
    await expect(journal.load({ chain: 'medchain', recordId: idOf(1) })).rejects.toThrow();
  });

  it("answers which ledgers owe one record without reading other records' entries", async () => {
    await add('medchain', 1);
    await add('supchain', 2);
    await add('medchain', 2);
    poison('medchain', 2);
    poison('supchain', 2);
    expect(await journal.pendingChains(idOf(1))).toEqual(['medchain']);
    expect(await journal.pendingChains(idOf(2))).toEqual(['supchain', 'medchain']);
    expect(await journal.pendingChains(idOf(3))).toEqual([]);
    expect(readdirSync(pendingDir())).toHaveLength(3);
  });
});
