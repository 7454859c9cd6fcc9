/**
 * Deploys EmrRegistry to a configured network and records where it went.
 *
 *   npm run deploy -- --network supchain      (or medchain, sepolia, localhost)
 *
 * Reads (see hardhat.config.ts): <NETWORK>_RPC_URL, <NETWORK>_PRIVATE_KEY, optional <NETWORK>_CHAIN_ID.
 * Optional: EMR_REGISTRY_ADMIN (default: the deployer) gets DEFAULT_ADMIN_ROLE, EMR_REGISTRY_WRITER
 * (default: the deployer, i.e. the account of <NETWORK>_PRIVATE_KEY, which the service signs with)
 * gets WRITER_ROLE. Writes DEPLOYMENTS_DIR/<network>.json (default ./deployments, the directory the
 * service reads with LEDGER_BACKEND=rpc; format: RegistryDeployment in
 * src/infrastructure/evm/anvil/registry-deployment.ts) and refuses to replace an existing one unless
 * EMR_REGISTRY_REDEPLOY=1: a new registry starts empty, the old one keeps its records.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ethers, network } from 'hardhat';
import type { HttpNetworkConfig } from 'hardhat/types';
import { UNSET_RPC_URL } from '../hardhat.config';
import type { RegistryDeployment } from '../src/infrastructure/evm/anvil/registry-deployment';
import { writeFileDurably } from '../src/infrastructure/journal/durable-file';

/** Same variable and default as the service (src/config/environment.ts), relative to the working directory. */
const DEPLOYMENTS_DIR = resolve(process.env.DEPLOYMENTS_DIR || './deployments');

async function main(): Promise<void> {
  const name = network.name;
  if (name !== 'hardhat' && (network.config as HttpNetworkConfig).url === UNSET_RPC_URL) {
    throw new Error(`Set ${name.toUpperCase()}_RPC_URL (and ${name.toUpperCase()}_PRIVATE_KEY) to deploy to ${name}.`);
  }
  const [deployer] = await ethers.getSigners();
  if (!deployer) throw new Error(`Set ${name.toUpperCase()}_PRIVATE_KEY: no account to deploy from.`);
  const path = join(DEPLOYMENTS_DIR, `${name}.json`);
  if (existsSync(path) && process.env.EMR_REGISTRY_REDEPLOY !== '1') {
    throw new Error(`${path} exists. A new registry starts empty; set EMR_REGISTRY_REDEPLOY=1 to deploy anyway.`);
  }

  const admin = ethers.getAddress(process.env.EMR_REGISTRY_ADMIN || deployer.address);
  const writer = ethers.getAddress(process.env.EMR_REGISTRY_WRITER || deployer.address);
  const { chainId } = await ethers.provider.getNetwork();
  console.log(`Deploying EmrRegistry to ${name} (chain id ${chainId}) from ${deployer.address}…`);

  const registry = await ethers.deployContract('EmrRegistry', [admin, writer], deployer);
  const receipt = (await registry.deploymentTransaction()!.wait())!;
  const registryAddress = await registry.getAddress();
  const writerRole = await registry.WRITER_ROLE();
  if (!(await registry.hasRole(writerRole, writer))) throw new Error('WRITER_ROLE was not granted.');
  const access = await ethers.deployContract('PatientAccessRegistry', [admin, writer], deployer);
  await access.deploymentTransaction()!.wait();
  const accessRegistryAddress = await access.getAddress();
  if (!(await access.hasRole(writerRole, writer)))
    throw new Error('WRITER_ROLE was not granted on the access registry.');

  const deployment: RegistryDeployment = {
    network: name,
    chainId: Number(chainId),
    registryAddress,
    deployer: deployer.address,
    admin,
    writers: [writer],
    transactionHash: receipt.hash,
    blockNumber: receipt.blockNumber,
    deployedAt: new Date().toISOString(),
    registryCodeHash: ethers.keccak256(await ethers.provider.getCode(registryAddress)),
    accessRegistryAddress,
    accessRegistryCodeHash: ethers.keccak256(await ethers.provider.getCode(accessRegistryAddress)),
  };
  console.log(`EmrRegistry at ${registryAddress} (tx ${receipt.hash}, block ${receipt.blockNumber}).`);
  console.log(`PatientAccessRegistry at ${accessRegistryAddress}.`);
  console.log(`WRITER_ROLE: ${writer}; admin: ${admin}.`);
  if (name === 'hardhat') {
    console.log('In-process hardhat network: nothing recorded (the chain ends with this command).');
    return;
  }
  writeFileDurably(path, `${JSON.stringify(deployment, null, 2)}\n`);
  console.log(`Recorded in ${path}.`);
  const prefix = name === 'supchain' || name === 'medchain' ? name.toUpperCase() : '<SUPCHAIN|MEDCHAIN>';
  console.log(`Service settings: ${prefix}_REGISTRY_ADDRESS=${registryAddress}`);
  console.log(`                  ${prefix}_ACCESS_REGISTRY_ADDRESS=${accessRegistryAddress} (chain id ${chainId}).`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
