import { FetchRequest, JsonRpcProvider, keccak256, Network, Wallet } from 'ethers';
import { EmrRegistry__factory, PatientAccessRegistry__factory } from '../../../../typechain-types';

/**
 * Where and how an EmrRegistry was deployed. Written as JSON by scripts/deploy.ts
 * (`deployments/<network>.json`) and by the embedded ledgers (`<dataDir>/chains/<chain>/deployment.json`).
 */
export interface RegistryDeployment {
  /** Hardhat network name or ledger name, e.g. "sepolia", "supchain". */
  readonly network: string;
  readonly chainId: number;
  readonly registryAddress: string;
  readonly deployer: string;
  /** Holds DEFAULT_ADMIN_ROLE (grants and revokes writers). */
  readonly admin: string;
  /** Granted WRITER_ROLE at deployment. */
  readonly writers: readonly string[];
  readonly transactionHash: string;
  readonly blockNumber: number;
  /** ISO-8601 UTC. */
  readonly deployedAt: string;
  /** keccak256 of the registry's runtime code, to recognise it later. */
  readonly registryCodeHash: string;
  /** The PatientAccessRegistry (keys, consents, access log), same admin and writers. */
  readonly accessRegistryAddress: string;
  readonly accessRegistryCodeHash: string;
}

export interface DeployRegistryOptions {
  readonly network: string;
  readonly rpcUrl: string;
  /** The chain the RPC must serve; the deployment is signed for it (EIP-155). */
  readonly chainId: number;
  readonly deployerPrivateKey: string;
  /** Default: the deployer. */
  readonly admin?: string;
  /** Default: the deployer. */
  readonly writer?: string;
  readonly timeoutMs?: number;
}

/**
 * Deploys EmrRegistry(admin, writer) and PatientAccessRegistry(admin, writer) with ethers and
 * the typechain factories; waits for both to be mined.
 */
export async function deployRegistry(options: DeployRegistryOptions): Promise<RegistryDeployment> {
  const request = new FetchRequest(options.rpcUrl);
  request.timeout = options.timeoutMs ?? 30_000;
  const network = Network.from(options.chainId);
  // cacheTimeout -1: ethers would otherwise reuse the nonce it read for the first deployment.
  const provider = new JsonRpcProvider(request, network, { staticNetwork: network, cacheTimeout: -1 });
  try {
    const served = Number(BigInt((await provider.send('eth_chainId', [])) as string));
    if (served !== options.chainId) {
      throw new Error(`the RPC serves chain id ${served}, expected ${options.chainId}`);
    }
    const deployer = new Wallet(options.deployerPrivateKey, provider);
    const admin = options.admin ?? deployer.address;
    const writer = options.writer ?? deployer.address;
    const registry = await new EmrRegistry__factory(deployer).deploy(admin, writer);
    const receipt = await registry.deploymentTransaction()!.wait();
    if (!receipt || receipt.status !== 1) throw new Error('the registry deployment transaction failed');
    const registryAddress = await registry.getAddress();
    const access = await new PatientAccessRegistry__factory(deployer).deploy(admin, writer);
    const accessReceipt = await access.deploymentTransaction()!.wait();
    if (!accessReceipt || accessReceipt.status !== 1)
      throw new Error('the access registry deployment transaction failed');
    const accessRegistryAddress = await access.getAddress();
    return {
      network: options.network,
      chainId: options.chainId,
      registryAddress,
      deployer: deployer.address,
      admin,
      writers: [writer],
      transactionHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      deployedAt: new Date().toISOString(),
      registryCodeHash: keccak256(await provider.getCode(registryAddress)),
      accessRegistryAddress,
      accessRegistryCodeHash: keccak256(await provider.getCode(accessRegistryAddress)),
    };
  } finally {
    provider.destroy();
  }
}
