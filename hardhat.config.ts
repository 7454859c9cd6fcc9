/**
 * Hardhat: compiles contracts/ with the solc-js shipped in node_modules (no compiler download),
 * generates typechain (ethers v6) bindings into typechain-types/, runs test/contracts, and deploys
 * to the networks configured from the environment (see scripts/deploy.ts).
 */
import { subtask } from 'hardhat/config';
import type { HardhatUserConfig, HttpNetworkUserConfig } from 'hardhat/types';
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from 'hardhat/builtin-tasks/task-names';
import '@nomicfoundation/hardhat-ethers';
import '@nomicfoundation/hardhat-chai-matchers';
import '@typechain/hardhat';

/** Must equal the `solc` package in package.json; contracts pin the same pragma. */
const SOLC_VERSION = '0.8.37';

/**
 * Hardhat downloads compilers from the internet by default; this machine (and CI) has only the npm
 * registry, so compile with the solc-js build the `solc` package ships.
 */
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  const solc = require('solc') as { version(): string };
  return {
    compilerPath: require.resolve('solc/soljson.js'),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: solc.version(),
  };
});

/** Placeholder URL for a remote network whose RPC variable is unset; scripts/deploy.ts refuses it. */
export const UNSET_RPC_URL = 'http://rpc-url-not-configured.invalid';

/** A remote network from `<PREFIX>_RPC_URL`, `<PREFIX>_PRIVATE_KEY` and optional `<PREFIX>_CHAIN_ID`. */
function remoteNetwork(prefix: string): HttpNetworkUserConfig {
  const privateKey = process.env[`${prefix}_PRIVATE_KEY`];
  const chainId = process.env[`${prefix}_CHAIN_ID`];
  return {
    url: process.env[`${prefix}_RPC_URL`] || UNSET_RPC_URL,
    accounts: privateKey ? [privateKey] : [],
    // Hardhat refuses to send when the node's chain id differs from this one.
    ...(chainId ? { chainId: Number(chainId) } : {}),
  };
}

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      // Cancun: the newest fork the private SUPchain/MEDchain and Sepolia all run; the registry needs
      // PUSH0 (Shanghai) and nothing newer.
      evmVersion: 'cancun',
    },
  },
  networks: {
    hardhat: {
      // Osaka enforces the EIP-7825 per-transaction cap (16,777,216 gas) that Sepolia enforces.
      hardfork: 'osaka',
      blockGasLimit: 60_000_000,
      allowUnlimitedContractSize: false,
    },
    supchain: remoteNetwork('SUPCHAIN'),
    medchain: remoteNetwork('MEDCHAIN'),
    sepolia: remoteNetwork('SEPOLIA'),
  },
  paths: {
    sources: './contracts',
    tests: './test/contracts',
    cache: './cache',
    artifacts: './artifacts',
  },
  typechain: {
    outDir: 'typechain-types',
    target: 'ethers-v6',
  },
  mocha: {
    timeout: 600_000,
  },
};

export default config;
