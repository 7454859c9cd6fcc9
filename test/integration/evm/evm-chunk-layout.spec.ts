import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonRpcProvider, Wallet } from 'ethers';
import { IntegrityCheckFailedError } from '../../../src/domain/errors';
import { MAX_CHUNK_BYTES } from '../../../src/infrastructure/evm/registry/chunk-plan';
import { EmbeddedLedgers, startEmbeddedLedgers } from '../../../src/infrastructure/evm/anvil/embedded-ledgers';
import { EvmEmrRepository } from '../../../src/infrastructure/evm/evm-emr.repository';
import { EmrRegistry, EmrRegistry__factory } from '../../../typechain-types';
import { newRecord } from '../../ports/emr-repository.port-suite';

/**
 * EvmEmrRepository.readContent decodes each chunk straight into its place in one buffer, which
 * assumes the writer's layout (full chunks, then the rest). The registry accepts any split: records
 * written another way (here by hand, with the chain's writer account) read back too.
 */
describe('EvmEmrRepository reads chunks of any layout (anvil)', () => {
  let dataDir: string;
  let ledgers: EmbeddedLedgers;
  let provider: JsonRpcProvider;
  let registry: EmrRegistry;
  let repository: EvmEmrRepository;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'emr-evm-layout-'));
    ledgers = await startEmbeddedLedgers({ dataDir, chains: ['supchain'], handleProcessSignals: false });
    const settings = ledgers.settings[0];
    provider = new JsonRpcProvider(settings.rpcUrl, settings.expectedChainId, {
      staticNetwork: true,
      cacheTimeout: -1,
    });
    registry = EmrRegistry__factory.connect(settings.registryAddress, new Wallet(settings.signerPrivateKey, provider));
    // Reads only: it never sends a transaction, so it cannot race the hand-written ones for nonces.
    repository = await EvmEmrRepository.connect(settings);
  });

  afterAll(async () => {
    await repository?.close();
    provider?.destroy();
    await ledgers?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** Stores `content` cut at `lengths` and commits it; returns the draft. */
  async function writeSplit(lengths: readonly number[]) {
    const draft = newRecord(
      randomBytes(32),
      lengths.reduce((sum, length) => sum + length, 0),
    );
    const parts: Uint8Array[] = [];
    let start = 0;
    for (const length of lengths) parts.push(draft.content.subarray(start, (start += length)));
    const receipt = await (await registry.storeChunks(draft.recordId.hex, 0, parts)).wait();
    const chunks = receipt!.logs
      .map((log) => registry.interface.parseLog(log))
      .filter((event) => event?.name === 'ChunkStored')
      .map((event) => event!.args.chunk as string);
    const input: EmrRegistry.RecordInputStruct = {
      patientKey: draft.patientKey,
      recordId: draft.recordId.hex,
      contentSha256: draft.contentSha256,
      signerKeyId: draft.signerKeyId,
      contentLength: draft.content.length,
      chunks,
      sealedHeader: draft.sealedHeader,
      keyEnvelope: draft.keyEnvelope,
      signature: draft.signature,
    };
    await (await registry.commitRecord(input, [])).wait();
    return draft;
  }

  it('reads a record split unlike the writer splits it: chunks in place, out of place and past the end', async () => {
    // The writer would store [24,575, 5,100].
    const draft = await writeSplit([MAX_CHUNK_BYTES, 100, 5_000]);
    const found = await repository.findById(draft.patientKey, draft.recordId);
    expect(found!.contentLocation).toHaveLength(3);
    expect(Buffer.from(await repository.readContent(found!)).equals(draft.content)).toBe(true);
  });

  it('reads a record of small chunks, and still refuses a length they do not add up to', async () => {
    const draft = await writeSplit([10, 1, 300]);
    const found = await repository.findById(draft.patientKey, draft.recordId);
    expect(Buffer.from(await repository.readContent(found!)).equals(draft.content)).toBe(true);
    await expect(repository.readContent({ ...found!, contentLength: 312 })).rejects.toThrow(IntegrityCheckFailedError);
  });
});
