import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { AnvilProcess, startAnvil } from '../../src/infrastructure/evm/anvil/anvil-process';

const run = promisify(execFile);
const REPO_ROOT = resolve(__dirname, '..', '..');
const CHAIN_ID = 1_337_301;
/** Anvil's first dev account: public test key material, a throwaway chain's deployer here. */
const DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

/** `npm run deploy` is `hardhat run scripts/deploy.ts`: run it as an operator would, against a local chain. */
describe('npm run deploy', () => {
  let anvil: AnvilProcess;
  let deploymentsDir: string;

  beforeAll(async () => {
    anvil = await startAnvil({ chainId: CHAIN_ID, label: 'deploy-test' });
    deploymentsDir = mkdtempSync(join(tmpdir(), 'emr-deployments-'));
  });

  afterAll(async () => {
    await anvil?.stop();
    if (deploymentsDir) rmSync(deploymentsDir, { recursive: true, force: true });
  });

  it('#11.21 records the deployment in DEPLOYMENTS_DIR, where the service in rpc mode reads it', async () => {
    const inRepo = join(REPO_ROOT, 'deployments', 'medchain.json');
    const before = existsSync(inRepo) ? readFileSync(inRepo, 'utf8') : null;
    const elsewhere = join(deploymentsDir, 'nested');

    const { stdout } = await run(
      process.execPath,
      [require.resolve('hardhat/internal/cli/cli'), 'run', 'scripts/deploy.ts', '--network', 'medchain'],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          MEDCHAIN_RPC_URL: anvil.rpcUrl,
          MEDCHAIN_PRIVATE_KEY: DEV_KEY,
          MEDCHAIN_CHAIN_ID: String(CHAIN_ID),
          DEPLOYMENTS_DIR: elsewhere,
        },
        timeout: 120_000,
      },
    );

    const record = JSON.parse(readFileSync(join(elsewhere, 'medchain.json'), 'utf8')) as {
      chainId: number;
      registryAddress: string;
    };
    expect(record.chainId).toBe(CHAIN_ID);
    expect(stdout).toContain(record.registryAddress);
    expect(existsSync(inRepo) ? readFileSync(inRepo, 'utf8') : null).toBe(before);
  }, 180_000);
});
