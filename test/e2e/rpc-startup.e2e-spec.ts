import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePng } from '../support/files';
import { LedgerPair } from '../support/ledger-pair';
import { ServiceProcess } from '../support/service-process';

const POLL_MS = 500;
const CATCH_UP_DEADLINE_MS = 60_000;

/**
 * Remote ledgers (LEDGER_BACKEND=rpc) at startup: the addresses come from the records
 * `npm run deploy` writes, a ledger that is down does not keep the service down, and no
 * ledger at all is refused with a message naming what to check.
 */
describe('Starting on remote ledgers (real local chains)', () => {
  const ledgers = new LedgerPair();
  const adminToken = `admin-${randomBytes(24).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'emr-rpc-start-'));
  const deploymentsDir = mkdtempSync(join(tmpdir(), 'emr-deployments-'));
  let service: ServiceProcess;

  beforeAll(async () => {
    await ledgers.start();
    // What `npm run deploy -- --network <chain>` leaves behind; the service gets no addresses or chain ids.
    const env = ledgers.env();
    const serviceEnv: Record<string, string> = {
      LEDGER_BACKEND: 'rpc',
      DEPLOYMENTS_DIR: deploymentsDir,
      DATA_DIR: dataDir,
      ADMIN_TOKEN: adminToken,
      // Remote ledgers take the key-vault master key from outside DATA_DIR.
      KEY_VAULT_MASTER_KEY: env.KEY_VAULT_MASTER_KEY,
      LEDGER_TIMEOUT_MS: '4000',
    };
    for (const chain of ['SUPCHAIN', 'MEDCHAIN']) {
      writeFileSync(
        join(deploymentsDir, `${chain.toLowerCase()}.json`),
        JSON.stringify({
          network: chain.toLowerCase(),
          chainId: Number(env[`${chain}_CHAIN_ID`]),
          registryAddress: env[`${chain}_REGISTRY_ADDRESS`],
          accessRegistryAddress: env[`${chain}_ACCESS_REGISTRY_ADDRESS`],
        }),
      );
      serviceEnv[`${chain}_RPC_URL`] = env[`${chain}_RPC_URL`];
      serviceEnv[`${chain}_PRIVATE_KEY`] = env[`${chain}_PRIVATE_KEY`];
    }
    service = new ServiceProcess(serviceEnv);
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await ledgers.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(deploymentsDir, { recursive: true, force: true });
  });

  const auth = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
  const api = (path: string) => `${service.baseUrl}/api/v1${path}`;

  it('restarts while MEDchain is down: serves, journals `both` for it, and catches up when it returns', async () => {
    await service.start();
    const token = await service.providerWithPatient(adminToken, 'rpc-clinic', 'P-RPC');
    await service.stop();

    await ledgers.down('medchain');
    await service.start();
    const health = (await (await fetch(`${service.baseUrl}/health`)).json()) as {
      chains: Record<string, { status: string }>;
    };
    expect(health.chains.supchain.status).toBe('up');
    expect(health.chains.medchain.status).toBe('down');

    const file = makePng(12, 12, 41);
    const accepted = await service.upload('P-RPC', token, 'both', file, 'rpc.png');
    expect(accepted.status).toBe(202);
    const body = (await accepted.json()) as { recordId: string; statusUrl: string };
    const served = await fetch(api(`/patients/P-RPC/records/${body.recordId}?chain=any`), auth(token));
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(file)).toBe(true);

    await ledgers.up('medchain');
    const deadline = Date.now() + CATCH_UP_DEADLINE_MS;
    let complete = false;
    while (!complete && Date.now() < deadline) {
      const status = await fetch(`${service.baseUrl}${body.statusUrl}`, auth(token));
      complete = ((await status.json()) as { complete: boolean }).complete;
      if (!complete) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    expect(complete).toBe(true);
    const copy = await fetch(api(`/patients/P-RPC/records/${body.recordId}?chain=medchain`), auth(token));
    expect(copy.status).toBe(200);
    expect(Buffer.from(await copy.arrayBuffer()).equals(file)).toBe(true);
    await service.stop();
  }, 240_000);

  it('refuses to start when no configured ledger answers, naming what to check', async () => {
    await ledgers.down('supchain');
    await ledgers.down('medchain');
    await expect(service.start()).rejects.toThrow(/No configured ledger answers \(supchain, medchain\)/);
  }, 120_000);
});
