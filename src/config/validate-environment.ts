import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Environment, HEX_32_BYTES } from './environment';

const RPC_CHAINS = ['SUPCHAIN', 'MEDCHAIN'] as const;
type RpcChain = (typeof RPC_CHAINS)[number];

/** The fields of a `deployments/<chain>.json` (RegistryDeployment, written by scripts/deploy.ts) read here. */
interface DeploymentRecord {
  readonly chainId?: unknown;
  readonly registryAddress?: unknown;
  readonly accessRegistryAddress?: unknown;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * Fills a remote chain's unset CHAIN_ID, REGISTRY_ADDRESS and ACCESS_REGISTRY_ADDRESS from the
 * deployment record `npm run deploy` wrote; a variable that is set always wins, but a chain id
 * that contradicts the record stops startup (the addresses would belong to another chain).
 */
function applyDeploymentRecord(environment: Environment, chain: RpcChain): void {
  const wanted = [`${chain}_CHAIN_ID`, `${chain}_REGISTRY_ADDRESS`, `${chain}_ACCESS_REGISTRY_ADDRESS`] as const;
  if (wanted.every((name) => environment[name] !== undefined)) return;
  const path = join(environment.DEPLOYMENTS_DIR, `${chain.toLowerCase()}.json`);
  let record: DeploymentRecord;
  try {
    record = JSON.parse(readFileSync(path, 'utf8')) as DeploymentRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new Error(`Invalid configuration:\n  ${path} is not a readable deployment record`);
  }
  if (
    !Number.isSafeInteger(record.chainId) ||
    typeof record.registryAddress !== 'string' ||
    !ADDRESS.test(record.registryAddress) ||
    typeof record.accessRegistryAddress !== 'string' ||
    !ADDRESS.test(record.accessRegistryAddress)
  ) {
    throw new Error(`Invalid configuration:\n  ${path} lacks chainId, registryAddress or accessRegistryAddress`);
  }
  const chainId = record.chainId as number;
  if (environment[`${chain}_CHAIN_ID`] !== undefined && environment[`${chain}_CHAIN_ID`] !== chainId) {
    throw new Error(
      `Invalid configuration:\n  ${chain}_CHAIN_ID is ${environment[`${chain}_CHAIN_ID`]} but ${path} was deployed on chain ${chainId}`,
    );
  }
  environment[`${chain}_CHAIN_ID`] = chainId;
  environment[`${chain}_REGISTRY_ADDRESS`] ??= record.registryAddress;
  environment[`${chain}_ACCESS_REGISTRY_ADDRESS`] ??= record.accessRegistryAddress;
}

/**
 * KEY_VAULT_MASTER_KEY_FILE becomes KEY_VAULT_MASTER_KEY; with remote ledgers one of the two is
 * required, so the data directory alone never opens the key vault.
 */
function applyMasterKey(environment: Environment): void {
  const file = environment.KEY_VAULT_MASTER_KEY_FILE;
  if (file) {
    if (environment.KEY_VAULT_MASTER_KEY !== undefined) {
      throw new Error('Invalid configuration:\n  set KEY_VAULT_MASTER_KEY or KEY_VAULT_MASTER_KEY_FILE, not both');
    }
    const fromDataDir = relative(resolve(environment.DATA_DIR), resolve(file));
    if (!fromDataDir.startsWith('..') && !isAbsolute(fromDataDir)) {
      throw new Error('Invalid configuration:\n  KEY_VAULT_MASTER_KEY_FILE must be outside DATA_DIR');
    }
    let key: string;
    try {
      key = readFileSync(file, 'utf8').trim();
    } catch {
      throw new Error(`Invalid configuration:\n  KEY_VAULT_MASTER_KEY_FILE: ${file} is not readable`);
    }
    if (!HEX_32_BYTES.test(key)) {
      throw new Error('Invalid configuration:\n  KEY_VAULT_MASTER_KEY_FILE must hold 64 hex characters');
    }
    environment.KEY_VAULT_MASTER_KEY = key;
  }
  if (environment.LEDGER_BACKEND === 'rpc' && environment.KEY_VAULT_MASTER_KEY === undefined) {
    throw new Error(
      'Invalid configuration:\n  LEDGER_BACKEND=rpc needs KEY_VAULT_MASTER_KEY (or KEY_VAULT_MASTER_KEY_FILE), kept ' +
        'outside DATA_DIR (an earlier version generated it into DATA_DIR/secrets/deployment.json, keyVaultMasterKey)',
    );
  }
}

/**
 * `ConfigModule.forRoot({ validate })` hook: a bad value stops startup with a message
 * naming the variable (never its value, which may be a secret).
 */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const environment = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  const errors = validateSync(environment, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const lines = errors.map((error) => {
      const messages = Object.values(error.constraints ?? {}).join('; ');
      return `  ${error.property}: ${messages}`;
    });
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  if (environment.HTTP_HEADERS_TIMEOUT_MS > environment.HTTP_REQUEST_TIMEOUT_MS) {
    throw new Error(
      'Invalid configuration:\n  HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)',
    );
  }
  if (environment.LEDGER_BACKEND === 'rpc') {
    const configured = RPC_CHAINS.filter((chain) => environment[`${chain}_RPC_URL`]);
    for (const chain of configured) applyDeploymentRecord(environment, chain);
    const missing = configured.flatMap((chain) =>
      ['CHAIN_ID', 'REGISTRY_ADDRESS', 'ACCESS_REGISTRY_ADDRESS', 'PRIVATE_KEY']
        .map((suffix) => `${chain}_${suffix}`)
        .filter((name) => environment[name as keyof Environment] === undefined),
    );
    if (configured.length === 0) missing.push('SUPCHAIN_RPC_URL or MEDCHAIN_RPC_URL');
    if (missing.length > 0) {
      throw new Error(
        `Invalid configuration:\n  LEDGER_BACKEND=rpc needs ${missing.join(', ')} ` +
          `(chain id and addresses may instead come from DEPLOYMENTS_DIR/<chain>.json, written by npm run deploy)`,
      );
    }
  }
  applyMasterKey(environment);
  return environment;
}
