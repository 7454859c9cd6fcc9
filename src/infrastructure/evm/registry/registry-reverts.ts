import { CallExceptionError, isError, toQuantity } from 'ethers';
import { EmrRegistry } from '../../../../typechain-types';
import { ChainName, CHAIN_DISPLAY_NAMES } from '../../../domain/chain-name';
import { DuplicateRecordError, PayloadTooLargeError } from '../../../domain/errors';
import { EvmConnection } from '../connection/evm-connection';
import { LedgerMisconfiguredError } from '../connection/evm-ledger-settings';
import { isRevert, revertData } from '../connection/rpc-failures';
import { MinedReceipt } from '../tx/transaction-sender';

/** One upload, as its errors name it. */
export interface Upload {
  readonly recordId: string;
  /** Largest content for its sealed fields: PayloadTooLargeError's figure. */
  readonly maxBytes: number;
}

/** One registry transaction's calldata and gas limit (see chunk-plan.ts). */
export interface RegistryCall {
  readonly data: Uint8Array;
  readonly gasLimit: number;
}

/**
 * Why the EmrRegistry refused an upload, as a domain error: its custom errors (and OpenZeppelin
 * AccessControl's) decoded from revert data, from a dry run before the upload or a replay after a
 * mined transaction reverted.
 */
export class RegistryReverts {
  constructor(
    private readonly connection: EvmConnection,
    private readonly registry: EmrRegistry,
  ) {}

  /** Runs `call` as a dry-run eth_call and turns the registry's custom errors into domain errors. */
  async dryRun(upload: Upload, call: RegistryCall): Promise<void> {
    try {
      await this.ethCall(call, 'latest');
    } catch (error) {
      const name = this.registryErrorName(error);
      const refusal = this.refusal(upload, name);
      if (refusal) throw refusal;
      if (isRevert(error)) {
        throw new Error(`${this.connection.label}: the registry refused the upload (${name ?? 'no reason'}).`);
      }
      throw error;
    }
  }

  /**
   * Names why a mined transaction reverted by replaying its call on the state its block left (a
   * rival commit of the same id, a revoked role are still there), and throws the matching error. A
   * replay that gives no reason (or cannot run) falls back to asking whether the record exists.
   */
  async diagnose(upload: Upload, call: RegistryCall, receipt: MinedReceipt): Promise<never> {
    let name: string | null = null;
    try {
      await this.ethCall(call, toQuantity(receipt.blockNumber));
    } catch (error) {
      name = this.registryErrorName(error);
    }
    const refusal = this.refusal(upload, name);
    if (refusal) throw refusal;
    const { chain, label } = this.connection;
    if (await this.connection.rpc(() => this.registry.recordExists(upload.recordId))) {
      throw duplicate(upload.recordId, chain);
    }
    this.connection.logger.error(
      `${label}: transaction ${receipt.hash} for record ${upload.recordId} reverted (${name ?? 'no reason'}).`,
    );
    throw new Error(`${label}: transaction ${receipt.hash} reverted.`);
  }

  /** The domain error a registry refusal stands for, or null when it stands for none. */
  private refusal(upload: Upload, errorName: string | null): Error | null {
    const { chain, label, signerAddress } = this.connection;
    if (errorName === 'EmrRegistryRecordExists') return duplicate(upload.recordId, chain);
    if (errorName === 'EmrRegistryManifestTooLarge') return new PayloadTooLargeError(upload.maxBytes);
    if (errorName === 'AccessControlUnauthorizedAccount') {
      this.connection.logger.error(`${label}: signer ${signerAddress} lacks WRITER_ROLE on the registry.`);
      return new LedgerMisconfiguredError(chain, `signer ${signerAddress} lacks WRITER_ROLE.`);
    }
    return null;
  }

  /** eth_call of the registry from the signer; a revert rejects with ethers' CALL_EXCEPTION. */
  private ethCall(call: RegistryCall, blockTag: string): Promise<unknown> {
    const request = {
      from: this.connection.signerAddress,
      to: this.connection.settings.registryAddress,
      data: `0x${Buffer.from(call.data.buffer, call.data.byteOffset, call.data.length).toString('hex')}`,
      gas: toQuantity(call.gasLimit),
    };
    return this.connection.rpc(() => this.connection.provider.send('eth_call', [request, blockTag]));
  }

  /** The registry custom error (or AccessControl error) in a raw eth_call's revert data, if any. */
  private registryErrorName(error: unknown): string | null {
    const data = revertData(error);
    if (!data) return null;
    try {
      return this.registry.interface.parseError(data)?.name ?? null;
    } catch {
      return null;
    }
  }
}

export function duplicate(recordId: string, chain: ChainName): DuplicateRecordError {
  return new DuplicateRecordError(
    `Record ${recordId} already exists on ${CHAIN_DISPLAY_NAMES[chain]}; records are never overwritten.`,
  );
}

/** The registry custom error (or AccessControl error) a revert carried, decoded by ethers. */
export function revertName(error: unknown): string | null {
  if (!isError(error, 'CALL_EXCEPTION')) return null;
  return (error as CallExceptionError).revert?.name ?? null;
}
