import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FetchRequest, HDNodeWallet, JsonRpcProvider, Mnemonic, Network, parseEther, Wallet } from 'ethers';
import { EmrRegistry__factory } from '../../../../typechain-types';
import { writeFileDurably } from '../../journal/durable-file';
import { EvmLogger } from '../connection/evm-ledger-settings';
import { RegistryDeployment } from './registry-deployment';

/**
 * Anvil's first dev account (mnemonic "test test test test test test test test test test test junk",
 * m/44'/60'/0'/0/0). PUBLIC KEY MATERIAL, known to everyone and unlocked in anvil: on the embedded
 * chains it only funds the service's own accounts once, and holds no role on any contract.
 */
export const ANVIL_DEV_PRIVATE_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const ANVIL_DEV_MNEMONIC = 'test test test test test test test test test test test junk';
/** anvil's default `--accounts`. */
const ANVIL_DEV_ACCOUNT_COUNT = 10;
/** Each dev account starts with 10,000 ETH: the writer pays for every record, the admin for a few grants. */
const WRITER_FUNDING = parseEther('9000');
const ADMIN_FUNDING = parseEther('100');
const ACCOUNTS_FILE = 'accounts.json';
/** OpenZeppelin AccessControl's DEFAULT_ADMIN_ROLE. */
const DEFAULT_ADMIN_ROLE = `0x${'00'.repeat(32)}`;

/** The embedded chain's own accounts, generated on first start into `<chainDir>/accounts.json` (0600). */
export interface EmbeddedAccounts {
  /** Holds WRITER_ROLE on both contracts: the service signs every write with it. */
  readonly writerPrivateKey: string;
  /** Deploys the contracts and holds DEFAULT_ADMIN_ROLE; used only at deployment and migration. */
  readonly adminPrivateKey: string;
}

/** The accounts of the chain in `chainDir`, generated and written durably on first use. */
export function loadOrCreateEmbeddedAccounts(chainDir: string): EmbeddedAccounts {
  const path = join(chainDir, ACCOUNTS_FILE);
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as EmbeddedAccounts;
  const accounts: EmbeddedAccounts = {
    writerPrivateKey: Wallet.createRandom().privateKey,
    adminPrivateKey: Wallet.createRandom().privateKey,
  };
  writeFileDurably(path, `${JSON.stringify(accounts, null, 2)}\n`);
  return accounts;
}

/** anvil's dev accounts' addresses, which must hold no role on the embedded contracts. */
export function anvilDevAddresses(): string[] {
  const mnemonic = Mnemonic.fromPhrase(ANVIL_DEV_MNEMONIC);
  return Array.from(
    { length: ANVIL_DEV_ACCOUNT_COUNT },
    (_, index) => HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${index}`).address,
  );
}

export function embeddedProvider(rpcUrl: string, chainId: number, timeoutMs: number): JsonRpcProvider {
  const request = new FetchRequest(rpcUrl);
  request.timeout = timeoutMs;
  const network = Network.from(chainId);
  // cacheTimeout -1: nonces are read fresh for each transaction.
  return new JsonRpcProvider(request, network, { staticNetwork: network, cacheTimeout: -1 });
}

/** Funds the writer and the admin from the dev account, once: on a fresh (or reset) chain they hold nothing. */
export async function fundEmbeddedAccounts(provider: JsonRpcProvider, accounts: EmbeddedAccounts): Promise<boolean> {
  const writer = new Wallet(accounts.writerPrivateKey).address;
  const admin = new Wallet(accounts.adminPrivateKey).address;
  if ((await provider.getBalance(writer)) > 0n || (await provider.getBalance(admin)) > 0n) return false;
  const dev = new Wallet(ANVIL_DEV_PRIVATE_KEY, provider);
  await (await dev.sendTransaction({ to: writer, value: WRITER_FUNDING })).wait();
  await (await dev.sendTransaction({ to: admin, value: ADMIN_FUNDING })).wait();
  return true;
}

/**
 * Leaves the roles on both contracts to the chain's own accounts: writer WRITER_ROLE, admin
 * DEFAULT_ADMIN_ROLE, no dev account anything. A chain an earlier version deployed (dev account 0
 * as admin and writer) is moved over: the dev account hands both roles on, then the new admin
 * revokes whatever any dev account holds. Returns the deployment record as it now stands.
 */
export async function settleEmbeddedRoles(
  provider: JsonRpcProvider,
  deployment: RegistryDeployment,
  accounts: EmbeddedAccounts,
  logger: EvmLogger,
): Promise<RegistryDeployment> {
  const admin = new Wallet(accounts.adminPrivateKey, provider);
  const writer = new Wallet(accounts.writerPrivateKey).address;
  const devAddresses = anvilDevAddresses();
  const dev = new Wallet(ANVIL_DEV_PRIVATE_KEY, provider);
  let moved = false;
  for (const address of [deployment.registryAddress, deployment.accessRegistryAddress]) {
    // Both contracts share the AccessControl surface used here (WRITER_ROLE, hasRole, grantRole, revokeRole).
    const contract = EmrRegistry__factory.connect(address, provider);
    const writerRole = await contract.WRITER_ROLE();
    if (!(await contract.hasRole(DEFAULT_ADMIN_ROLE, admin.address))) {
      if (!(await contract.hasRole(DEFAULT_ADMIN_ROLE, dev.address))) {
        throw new Error(`Neither the embedded admin nor the dev account administers ${address}.`);
      }
      await (await contract.connect(dev).grantRole(DEFAULT_ADMIN_ROLE, admin.address)).wait();
      moved = true;
    }
    const asAdmin = contract.connect(admin);
    if (!(await contract.hasRole(writerRole, writer))) {
      await (await asAdmin.grantRole(writerRole, writer)).wait();
      moved = true;
    }
    for (const account of devAddresses) {
      for (const role of [writerRole, DEFAULT_ADMIN_ROLE]) {
        if (await contract.hasRole(role, account)) {
          await (await asAdmin.revokeRole(role, account)).wait();
          moved = true;
        }
      }
    }
  }
  if (!moved) return deployment;
  logger.warn(
    `Embedded ${deployment.network}: the contracts' roles moved from anvil's public dev account to this ` +
      `data directory's own writer and admin accounts.`,
  );
  return { ...deployment, admin: admin.address, writers: [writer] };
}
