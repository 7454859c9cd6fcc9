import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AccessLogJournal } from '../../src/domain/ports/access-log-journal.port';
import { createProvider, enrollPatient } from '../support/actors';
import { createTestApp } from '../support/app';
import { makePng } from '../support/files';
import { wherePhi } from '../fakes/find-phi';
import { LedgerPair } from '../support/ledger-pair';
import { ServiceProcess } from '../support/service-process';

const PATIENT_ID = 'P-GLASS-0427';
const UPLOADER_ID = 'glass-radiology';
const EMERGENCY_PROVIDER_ID = 'glass-er-unit';
const REASON = 'Found unresponsive, anticoagulant history unknown';
const LOG_DEADLINE_MS = 60_000;

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** Every file under `dir`: its path and its content. */
function filesUnder(dir: string): { path: string; content: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path, content: readFileSync(path, 'utf8') };
    });
}

interface LogEntry {
  accessorId: string;
  kind: string;
  emergency: boolean;
  reason: string | null;
  chain: string;
  recordId: string | null;
}

describe('A read that cannot be logged is not served (in-memory ledgers)', () => {
  it('answers 500 with none of the record when the journal write fails, and serves again once it works', async () => {
    const testApp = await createTestApp();
    try {
      const server = testApp.app.getHttpServer();
      const uploader = await createProvider(server, testApp.adminToken, 'journal-clinic');
      await enrollPatient(server, uploader, 'P-NOLOG');
      const file = makePng(10, 10, 4);
      const created = await request(server)
        .post('/api/v1/patients/P-NOLOG/records')
        .set(uploader.auth)
        .field('chain', 'supchain')
        .attach('file', file, 'scan.png')
        .expect(201);
      const read = () =>
        request(server)
          .get(`/api/v1/patients/P-NOLOG/records/${created.body.recordId}?chain=supchain`)
          .set(uploader.auth);

      const journal = testApp.app.get(AccessLogJournal);
      const add = jest.spyOn(journal, 'add').mockRejectedValueOnce(new Error('ENOSPC: no space left on device'));
      const refused = await read();
      expect(refused.status).toBe(500);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.headers['x-record-id']).toBeUndefined();
      expect(refused.text).not.toContain('ENOSPC');

      const served = await read().expect(200);
      expect(Buffer.compare(served.body as Buffer, file)).toBe(0);
      expect(add).toHaveBeenCalledTimes(2);
    } finally {
      await testApp.close();
    }
  });
});

/**
 * The access log of a served read survives a crash: the service runs as a child process
 * on real local chains (LEDGER_BACKEND=rpc) and is SIGKILLed right after answering.
 */
describe('A served read reaches the access log even if the service dies right after it', () => {
  const ledgers = new LedgerPair();

  beforeAll(async () => {
    await ledgers.start();
  }, 120_000);

  afterAll(async () => {
    await ledgers.stop();
  });

  it("an emergency read answered just before a SIGKILL is in the patient's access log after the restart, with its reason", async () => {
    const adminToken = `admin-${randomBytes(24).toString('hex')}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'emr-access-crash-'));
    const supchain = ledgers.rpcUrl('supchain');
    const service = new ServiceProcess({
      ...ledgers.env(),
      ADMIN_TOKEN: adminToken,
      DATA_DIR: dataDir,
      LEDGER_TIMEOUT_MS: '4000',
    });
    try {
      await service.start();
      const api = (path: string) => `${service.baseUrl}/api/v1${path}`;
      const uploader = { token: await service.provider(adminToken, UPLOADER_ID) };
      const patient = { token: await service.patient(uploader.token, PATIENT_ID) };
      const emergencyProvider = { token: await service.provider(adminToken, EMERGENCY_PROVIDER_ID) };
      const uploaded = await service.upload(PATIENT_ID, uploader.token, 'supchain', makePng(12, 12, 9), 'scan.png');
      expect(uploaded.status).toBe(201);
      const { recordId } = (await uploaded.json()) as { recordId: string };

      // SUPchain stops mining: whatever access-log transaction the service sends after the
      // read cannot be confirmed before it dies, so only what it kept locally can survive.
      await rpc(supchain, 'evm_setAutomine', [false]);
      const read = await fetch(api(`/patients/${PATIENT_ID}/records/${recordId}?chain=supchain`), {
        headers: { Authorization: `Bearer ${emergencyProvider.token}`, 'X-Break-Glass-Reason': REASON },
      });
      expect(read.status).toBe(200);
      await service.kill();
      // The dead service's unmined transactions are gone; the chain mines again for the next run.
      await rpc(supchain, 'anvil_dropAllTransactions');
      await rpc(supchain, 'evm_setAutomine', [true]);

      // What survived on disk is the sealed entry only.
      const journal = filesUnder(join(dataDir, 'access-log'));
      expect(journal.length).toBeGreaterThan(0);
      const disk = journal.flatMap((file) => [file.path.slice(dataDir.length), file.content]).join('\n');
      expect(disk).toContain(recordId.slice(2));
      for (const secret of [
        PATIENT_ID,
        EMERGENCY_PROVIDER_ID,
        REASON,
        adminToken,
        emergencyProvider.token,
        patient.token,
      ]) {
        for (const file of journal) {
          for (const bytes of [Buffer.from(file.path.slice(dataDir.length)), Buffer.from(file.content, 'utf8')]) {
            expect({ file: file.path, secret, found: wherePhi(bytes, secret) }).toEqual({
              file: file.path,
              secret,
              found: null,
            });
          }
        }
      }

      await service.start();
      // Listed, and no longer journaled: the entry is on the ledger itself.
      const deadline = Date.now() + LOG_DEADLINE_MS;
      let emergency: LogEntry | undefined;
      let journaled = Number.POSITIVE_INFINITY;
      while (Date.now() < deadline) {
        const log = await fetch(api(`/patients/${PATIENT_ID}/access-log`), {
          headers: { Authorization: `Bearer ${patient.token}` },
        });
        emergency =
          log.status === 200 ? ((await log.json()) as LogEntry[]).find((entry) => entry.emergency) : undefined;
        journaled = filesUnder(join(dataDir, 'access-log', 'pending')).filter((file) =>
          file.path.endsWith('.json'),
        ).length;
        if (emergency && journaled === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(journaled).toBe(0);
      expect(emergency).toEqual(
        expect.objectContaining({
          accessorId: EMERGENCY_PROVIDER_ID,
          kind: 'emergency',
          emergency: true,
          reason: REASON,
          chain: 'supchain',
          recordId,
        }),
      );
    } finally {
      await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
