import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AccessLogWriter } from '../../../src/application/access/access-log-writer';
import { LedgerAccessEntry } from '../../../src/domain/access-log';
import { bytesToHex } from '../../../src/domain/bytes';
import { ChainUnavailableError } from '../../../src/domain/errors';
import { Ledgers } from '../../../src/domain/ledgers';
import { PatientId } from '../../../src/domain/patient-id';
import { RecordId } from '../../../src/domain/record-id';
import { HmacPseudonymizer } from '../../../src/infrastructure/crypto/hmac.pseudonymizer';
import { HpkeP256Cipher } from '../../../src/infrastructure/crypto/hpke-p256.cipher';
import { InMemoryAccessLedger } from '../../../src/infrastructure/memory/in-memory-access.ledger';
import { AsyncRemoveSteps, NODE_ASYNC_REMOVE_STEPS } from '../../../src/infrastructure/journal/durable-file';
import { FileAccessLogJournal } from '../../../src/infrastructure/journal/file-access-log.journal';

const entry = (): LedgerAccessEntry => ({
  patientKey: randomBytes(32),
  accessorKey: randomBytes(32),
  recordId: RecordId.fromBytes(randomBytes(32)),
  kind: 'emergency',
  at: new Date(),
  sealedNote: randomBytes(200),
});

/** Every way a text could sit in a file: as is, as hex, as base64 / base64url. */
function encodings(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  return [text, text.toLowerCase(), bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')];
}

describe('FileAccessLogJournal', () => {
  let dir: string;
  const pendingDir = () => join(dir, 'pending');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'emr-access-journal-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('outlives the instance that wrote it (a restart), and what was removed stays removed', async () => {
    const before = new FileAccessLogJournal(dir);
    const kept = await before.add('medchain', entry());
    const confirmed = await before.add('supchain', entry());
    await before.remove([confirmed.id]);

    const after = await new FileAccessLogJournal(dir).pending();
    expect(after.map((item) => [item.id, item.chain])).toEqual([[kept.id, 'medchain']]);
    expect(Buffer.from(after[0].entry.sealedNote).equals(Buffer.from(kept.entry.sealedNote))).toBe(true);
  });

  it('#11.12 removes confirmed entries durably: every unlink, then the directory fsync, before remove resolves', async () => {
    const steps: string[] = [];
    const recording: AsyncRemoveSteps = {
      unlink: async (path) => {
        await NODE_ASYNC_REMOVE_STEPS.unlink(path);
        steps.push(`unlink ${basename(path)}`);
      },
      open: async (path, flags) => {
        const handle = await NODE_ASYNC_REMOVE_STEPS.open(path, flags);
        return {
          writeFile: (bytes) => handle.writeFile(bytes),
          sync: async () => {
            await handle.sync();
            steps.push(`fsync ${path === pendingDir() ? 'directory' : path}`);
          },
          close: () => handle.close(),
        };
      },
    };
    const journal = new FileAccessLogJournal(dir, () => undefined, recording);
    const first = await journal.add('supchain', entry());
    const second = await journal.add('medchain', entry());
    const kept = await journal.add('medchain', entry());

    await journal.remove([first.id, second.id]);
    expect(steps).toEqual([`unlink ${first.id}.json`, `unlink ${second.id}.json`, 'fsync directory']);
    expect(readdirSync(pendingDir())).toEqual([`${kept.id}.json`]);
  });

  it('writes one 0600 file per entry, named by a random id, with no temporary file left', async () => {
    const journal = new FileAccessLogJournal(dir);
    const { id } = await journal.add('supchain', entry());
    expect(readdirSync(pendingDir())).toEqual([`${id}.json`]);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(statSync(join(pendingDir(), `${id}.json`)).mode & 0o777).toBe(0o600);
  });

  it('skips what does not parse, reports only a count, and leaves it for an operator', async () => {
    const reports: string[] = [];
    const journal = new FileAccessLogJournal(dir, (message) => reports.push(message));
    const good = await journal.add('supchain', entry());
    const torn = `${'ab'.repeat(16)}.json`;
    writeFileSync(join(pendingDir(), torn), '{"version":1,"chain":"supch');
    writeFileSync(join(pendingDir(), `${good.id}.json.4242.tmp`), '{}');

    expect((await journal.pending()).map((item) => item.id)).toEqual([good.id]);
    expect(reports).toEqual([expect.stringMatching(/^1 access-log journal entries do not parse/)]);
    expect(readdirSync(pendingDir())).toContain(torn);
  });

  it('holds the sealed form only: no patient id, reader id or reason in any encoding', async () => {
    const patientId = 'P-SECRET-4711';
    const providerId = 'night-shift-er-provider';
    const reason = 'Unresponsive on arrival, suspected overdose';
    const cipher = new HpkeP256Cipher();
    const pseudonymizer = new HmacPseudonymizer(randomBytes(32));
    const patientKeys = await cipher.generateKeyPair();
    const patientKey = pseudonymizer.patientKey(PatientId.parse(patientId));
    const down = new (class extends InMemoryAccessLedger {
      override async appendAccessLog(): Promise<void> {
        throw new ChainUnavailableError('Ledger supchain is unreachable.');
      }
    })('supchain', { now: () => new Date() });
    const writer = new AccessLogWriter(new Ledgers([], [down]), cipher, new FileAccessLogJournal(dir));
    try {
      await writer.record({
        chain: 'supchain',
        patientKey,
        noteRecipients: [patientKeys.publicKey],
        accessorKey: pseudonymizer.providerKey(providerId),
        note: { accessorId: providerId, accessorRole: 'provider', reason },
        recordId: RecordId.fromBytes(randomBytes(32)),
        kind: 'emergency',
        at: new Date(),
      });
      await writer.flush();
    } finally {
      writer.stop();
    }

    const names = readdirSync(pendingDir());
    expect(names).toHaveLength(1);
    const disk = [dir, ...names, ...names.map((name) => readFileSync(join(pendingDir(), name), 'utf8'))].join('\n');
    // The scan is real: the entry is there, under the patient's pseudonym.
    expect(disk).toContain(bytesToHex(patientKey));
    for (const secret of [patientId, providerId, reason, 'Unresponsive', 'overdose']) {
      for (const encoded of encodings(secret)) expect(disk).not.toContain(encoded);
    }
  });
});
