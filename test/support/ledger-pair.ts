import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainName } from '../../src/domain/chain-name';
import { AnvilProcess, startAnvil } from '../../src/infrastructure/evm/anvil/anvil-process';
import { ANVIL_DEV_PRIVATE_KEY } from '../../src/infrastructure/evm/anvil/embedded-ledgers';
import { deployRegistry, RegistryDeployment } from '../../src/infrastructure/evm/anvil/registry-deployment';
import { freePort } from './service-launcher';

const CHAIN_IDS: Record<ChainName, number> = { supchain: 1_337_201, medchain: 1_337_202 };

/**
 * Two anvil chains owned by the test (fixed ports, state files), so a test can stop a
 * ledger and start it again where it was, while the service talks to them as remote RPCs.
 */
export class LedgerPair {
  private readonly processes = new Map<ChainName, AnvilProcess>();
  private readonly ports = new Map<ChainName, number>();
  private readonly deployments = new Map<ChainName, RegistryDeployment>();
  readonly dir = mkdtempSync(join(tmpdir(), 'emr-ledger-pair-'));
  /** Remote ledgers need the key-vault master key from outside DATA_DIR: one per pair, so restarts reuse it. */
  private readonly keyVaultMasterKey = randomBytes(32).toString('hex');

  async start(): Promise<void> {
    for (const chain of ['supchain', 'medchain'] as const) {
      this.ports.set(chain, await freePort());
      await this.up(chain);
      this.deployments.set(
        chain,
        await deployRegistry({
          network: chain,
          rpcUrl: this.rpcUrl(chain),
          chainId: CHAIN_IDS[chain],
          deployerPrivateKey: ANVIL_DEV_PRIVATE_KEY,
        }),
      );
    }
  }

  rpcUrl(chain: ChainName): string {
    return `http://127.0.0.1:${this.ports.get(chain)}`;
  }

  /** The service's settings for LEDGER_BACKEND=rpc. */
  env(): Record<string, string> {
    const env: Record<string, string> = { LEDGER_BACKEND: 'rpc', KEY_VAULT_MASTER_KEY: this.keyVaultMasterKey };
    for (const chain of ['supchain', 'medchain'] as const) {
      const prefix = chain.toUpperCase();
      const deployment = this.deployments.get(chain)!;
      env[`${prefix}_RPC_URL`] = this.rpcUrl(chain);
      env[`${prefix}_CHAIN_ID`] = String(CHAIN_IDS[chain]);
      env[`${prefix}_REGISTRY_ADDRESS`] = deployment.registryAddress;
      env[`${prefix}_ACCESS_REGISTRY_ADDRESS`] = deployment.accessRegistryAddress;
      env[`${prefix}_PRIVATE_KEY`] = ANVIL_DEV_PRIVATE_KEY;
    }
    return env;
  }

  /** Starts (or restarts) a chain on its port from its state file. */
  async up(chain: ChainName): Promise<void> {
    this.processes.set(
      chain,
      await startAnvil({
        chainId: CHAIN_IDS[chain],
        port: this.ports.get(chain),
        statePath: join(this.dir, `${chain}.json`),
        stateIntervalSeconds: 1,
        label: chain,
      }),
    );
  }

  /** Stops a chain the way an operator's restart does (SIGTERM: state written on the way out). */
  async down(chain: ChainName): Promise<void> {
    await this.processes.get(chain)?.stop();
    this.processes.delete(chain);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.processes.keys()].map((chain) => this.down(chain)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
