import { id as keccakId } from 'ethers';
import { EmrRegistry } from '../../../../typechain-types';
import { ChainUnavailableError } from '../../../domain/errors';
import { EvmConnection } from '../connection/evm-connection';
import { LedgerMisconfiguredError } from '../connection/evm-ledger-settings';
import { MAX_CHUNK_BYTES } from './chunk-plan';

const WRITER_ROLE = keccakId('WRITER_ROLE');

/**
 * Before first use: the chain (EvmConnection.verifyChain), then the EmrRegistry itself: code at the
 * address, the chunk size this adapter plans with, and WRITER_ROLE for the signer. Anything else is
 * LedgerMisconfiguredError naming the ledger.
 */
export async function verifyEmrRegistry(connection: EvmConnection, registry: EmrRegistry): Promise<void> {
  await connection.verifyChain();
  const { chain, settings, signerAddress } = connection;
  const code = await connection.rpc(() => connection.provider.getCode(settings.registryAddress));
  if (code === '0x') {
    throw new LedgerMisconfiguredError(chain, `no contract at registry address ${settings.registryAddress}.`);
  }
  const [isWriter, maxChunk] = await connection
    .rpc(() => Promise.all([registry.hasRole(WRITER_ROLE, signerAddress), registry.MAX_CHUNK_BYTES()]))
    .catch((error: unknown) => {
      if (error instanceof ChainUnavailableError) throw error;
      throw new LedgerMisconfiguredError(chain, `the contract at ${settings.registryAddress} is not an EmrRegistry.`);
    });
  if (maxChunk !== BigInt(MAX_CHUNK_BYTES)) {
    throw new LedgerMisconfiguredError(chain, `the registry's chunk size ${maxChunk} differs from ${MAX_CHUNK_BYTES}.`);
  }
  if (!isWriter) {
    throw new LedgerMisconfiguredError(
      chain,
      `signer ${signerAddress} lacks WRITER_ROLE on registry ${settings.registryAddress}.`,
    );
  }
  connection.logger.log(
    `${connection.label}: chain ${settings.expectedChainId}, registry ${settings.registryAddress}, signer ${signerAddress}.`,
  );
}
