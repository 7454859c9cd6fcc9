import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { ethers } from 'hardhat';
import { loadFixture } from '@nomicfoundation/hardhat-network-helpers';
import { EIP7825_TX_GAS_CAP, MAX_CHUNK_BYTES } from '../../src/infrastructure/evm/registry/chunk-plan';
import { chunkAddressesFrom, randomHex32, readContent } from './upload-helpers';

describe('EmrRegistry: code-backed chunks', () => {
  async function deployWithWriter() {
    const [admin, writer] = await ethers.getSigners();
    const registry = await ethers.deployContract('EmrRegistry', [admin.address, writer.address]);
    return { registry: registry.connect(writer), writer };
  }

  it('agrees with the off-chain EIP-170 chunk size', async () => {
    const { registry } = await loadFixture(deployWithWriter);
    expect(await registry.MAX_CHUNK_BYTES()).to.equal(BigInt(MAX_CHUNK_BYTES));
    expect(await registry.MAX_CODE_BYTES()).to.equal(24_576n);
  });

  it('stores the largest chunk that fits (24,575 bytes) as STOP + data, and announces it', async () => {
    const { registry, writer } = await loadFixture(deployWithWriter);
    const recordId = randomHex32();
    const data = randomBytes(MAX_CHUNK_BYTES);
    const tx = await registry.storeChunks(recordId, 0, [data], { gasLimit: EIP7825_TX_GAS_CAP });
    const [chunk] = chunkAddressesFrom(registry, (await tx.wait())!);

    await expect(tx).to.emit(registry, 'ChunkStored').withArgs(recordId, writer.address, chunk, 0, MAX_CHUNK_BYTES);
    const code = await ethers.provider.getCode(chunk);
    expect(ethers.dataLength(code)).to.equal(24_576);
    expect(ethers.dataSlice(code, 0, 1)).to.equal('0x00');
    expect(await readContent([chunk])).to.deep.equal(new Uint8Array(data));
  });

  it('rejects a chunk one byte over (24,576 bytes)', async () => {
    const { registry } = await loadFixture(deployWithWriter);
    await expect(
      registry.storeChunks(randomHex32(), 0, [randomBytes(MAX_CHUNK_BYTES + 1)], { gasLimit: EIP7825_TX_GAS_CAP }),
    )
      .to.be.revertedWithCustomError(registry, 'EmrRegistryChunkTooLarge')
      .withArgs(0, MAX_CHUNK_BYTES + 1, MAX_CHUNK_BYTES);
  });

  it('rejects an empty chunk and an empty chunk list', async () => {
    const { registry } = await loadFixture(deployWithWriter);
    await expect(registry.storeChunks(randomHex32(), 0, ['0x01', '0x']))
      .to.be.revertedWithCustomError(registry, 'EmrRegistryEmptyChunk')
      .withArgs(1);
    await expect(registry.storeChunks(randomHex32(), 0, [])).to.be.revertedWithCustomError(
      registry,
      'EmrRegistryNoChunks',
    );
  });

  it('stores a one-byte chunk', async () => {
    const { registry } = await loadFixture(deployWithWriter);
    const tx = await registry.storeChunks(randomHex32(), 0, ['0xff']);
    const chunks = chunkAddressesFrom(registry, (await tx.wait())!);
    expect(await ethers.provider.getCode(chunks[0])).to.equal('0x00ff');
  });

  it('deploys many chunks across calls, in order, and tracks the pending upload', async () => {
    const { registry, writer } = await loadFixture(deployWithWriter);
    const recordId = randomHex32();
    const data = Array.from({ length: 7 }, (_, i) => randomBytes(1_000 + i));
    const chunks: string[] = [];
    for (let first = 0; first < data.length; first += 3) {
      const tx = await registry.storeChunks(recordId, first, data.slice(first, first + 3));
      const deployed = chunkAddressesFrom(registry, (await tx.wait())!);
      await expect(tx)
        .to.emit(registry, 'ChunkStored')
        .withArgs(recordId, writer.address, deployed[0], first, 1_000 + first);
      chunks.push(...deployed);
    }
    expect(new Set(chunks).size).to.equal(7);
    const [count, length, digest] = await registry.pendingUpload(writer.address, recordId);
    expect(count).to.equal(7n);
    expect(length).to.equal(BigInt(data.reduce((sum, d) => sum + d.length, 0)));
    let expected = ethers.ZeroHash;
    for (const chunk of chunks) expected = ethers.solidityPackedKeccak256(['bytes32', 'address'], [expected, chunk]);
    expect(digest).to.equal(expected);
    expect(await readContent(chunks)).to.deep.equal(new Uint8Array(Buffer.concat(data)));
  });

  it('refuses to continue an upload out of order', async () => {
    const { registry } = await loadFixture(deployWithWriter);
    const recordId = randomHex32();
    await registry.storeChunks(recordId, 0, ['0x01', '0x02']);
    await expect(registry.storeChunks(recordId, 3, ['0x03']))
      .to.be.revertedWithCustomError(registry, 'EmrRegistryChunkOutOfOrder')
      .withArgs(recordId, 3, 2);
    await expect(registry.storeChunks(recordId, 2, ['0x03'])).to.emit(registry, 'ChunkStored');
  });

  it('discards a pending upload when it is started over at index 0', async () => {
    const { registry, writer } = await loadFixture(deployWithWriter);
    const recordId = randomHex32();
    await registry.storeChunks(recordId, 0, ['0x01', '0x02']);
    await expect(registry.storeChunks(recordId, 0, ['0x0303']))
      .to.emit(registry, 'PendingUploadDiscarded')
      .withArgs(recordId, writer.address, 2);
    const [count, length] = await registry.pendingUpload(writer.address, recordId);
    expect([count, length]).to.deep.equal([1n, 2n]);
  });

  it('costs within 1.5% of the 216 gas/byte floor for a full three-chunk batch', async () => {
    const { registry } = await loadFixture(deployWithWriter);
    const data = [0, 1, 2].map(() => randomBytes(MAX_CHUNK_BYTES));
    const receipt = (await (
      await registry.storeChunks(randomHex32(), 0, data, { gasLimit: EIP7825_TX_GAS_CAP })
    ).wait())!;
    const perByte = Number(receipt.gasUsed) / (3 * MAX_CHUNK_BYTES);
    expect(perByte).to.be.below(216 * 1.015);
    expect(Number(receipt.gasUsed)).to.be.below(EIP7825_TX_GAS_CAP);
  });
});
