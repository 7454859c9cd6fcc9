import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { ethers } from 'hardhat';
import { loadFixture, time } from '@nomicfoundation/hardhat-network-helpers';
import type { EmrRegistry } from '../../typechain-types';
import {
  chunkAddressesFrom,
  commitInput,
  makeRecord,
  randomHex32,
  readContent,
  TestRecord,
  uploadRecord,
} from './upload-helpers';

describe('EmrRegistry: records', () => {
  async function deployWithThreeRecords() {
    const [admin, writer] = await ethers.getSigners();
    const registry = (await ethers.deployContract('EmrRegistry', [admin.address, writer.address])).connect(writer);
    const patientKey = randomHex32();
    const records = [makeRecord(1_024, patientKey), makeRecord(30_000, patientKey), makeRecord(80_000, patientKey)];
    for (const record of records) await uploadRecord(registry, record);
    return { registry, writer, patientKey, records };
  }

  function expectView(view: EmrRegistry.RecordViewStructOutput, record: TestRecord, version: number) {
    expect(view.recordId).to.equal(record.recordId);
    expect(view.patientKey).to.equal(record.patientKey);
    expect(view.version).to.equal(BigInt(version));
    expect(view.contentSha256).to.equal(record.contentSha256);
    expect(view.contentLength).to.equal(BigInt(record.content.length));
    expect(view.signerKeyId).to.equal(record.signerKeyId);
    expect(ethers.getBytes(view.sealedHeader)).to.deep.equal(new Uint8Array(record.sealedHeader));
    expect(ethers.getBytes(view.keyEnvelope)).to.deep.equal(new Uint8Array(record.keyEnvelope));
    expect(ethers.getBytes(view.signature)).to.deep.equal(new Uint8Array(record.signature));
  }

  it('commits a small record in one transaction and announces it', async () => {
    const { registry, writer } = await loadFixture(deployWithThreeRecords);
    const record = makeRecord(1_040);
    const tx = await registry.commitRecord(commitInput(record, []), [record.content]);
    const receipt = (await tx.wait())!;
    const [chunk] = chunkAddressesFrom(registry, receipt);
    const view = await registry.getRecord(record.recordId);

    await expect(tx).to.emit(registry, 'ChunkStored').withArgs(record.recordId, writer.address, chunk, 0, 1_040);
    await expect(tx)
      .to.emit(registry, 'RecordStored')
      .withArgs(record.recordId, record.patientKey, writer.address, 1, view.manifest, 1_040, record.contentSha256);
    expectView(view, record, 1);
    expect(view.chunks).to.deep.equal([chunk]);
    expect(view.writer).to.equal(writer.address);
    expect(view.blockNumber).to.equal(BigInt(receipt.blockNumber));
    expect(view.createdAt).to.equal(BigInt((await ethers.provider.getBlock(receipt.blockNumber))!.timestamp));
    expect(ethers.dataSlice(await ethers.provider.getCode(view.manifest), 0, 1)).to.equal('0x00');
    expect(await readContent(view.chunks)).to.deep.equal(new Uint8Array(record.content));
  });

  it('stores records of any chunk count and returns their bytes', async () => {
    const { registry, records } = await loadFixture(deployWithThreeRecords);
    for (const [i, record] of records.entries()) {
      const view = await registry.getRecord(record.recordId);
      expectView(view, record, i + 1);
      expect(await readContent(view.chunks)).to.deep.equal(new Uint8Array(record.content));
    }
  });

  it('commits a record with empty content', async () => {
    const { registry } = await loadFixture(deployWithThreeRecords);
    const record = makeRecord(0);
    await expect(registry.commitRecord(commitInput(record, []), [])).to.emit(registry, 'RecordStored');
    const view = await registry.getRecord(record.recordId);
    expect(view.chunks).to.deep.equal([]);
    expect(view.contentLength).to.equal(0n);
  });

  it('never overwrites: committing the same record id again reverts, the history only grows', async () => {
    const { registry, patientKey, records } = await loadFixture(deployWithThreeRecords);
    const again = { ...makeRecord(10, patientKey), recordId: records[0].recordId };
    await expect(registry.commitRecord(commitInput(again, []), [again.content]))
      .to.be.revertedWithCustomError(registry, 'EmrRegistryRecordExists')
      .withArgs(records[0].recordId);
    await expect(registry.storeChunks(records[0].recordId, 0, ['0x01']))
      .to.be.revertedWithCustomError(registry, 'EmrRegistryRecordExists')
      .withArgs(records[0].recordId);
    expectView(await registry.getRecord(records[0].recordId), records[0], 1);

    const next = makeRecord(10, patientKey);
    await registry.commitRecord(commitInput(next, []), [next.content]);
    expect(await registry.recordCount(patientKey)).to.equal(4n);
    expectView(await registry.latestRecord(patientKey), next, 4);
  });

  it('refuses a commit whose chunk list or length differs from what was stored', async () => {
    const { registry, writer } = await loadFixture(deployWithThreeRecords);
    const record = makeRecord(300);
    const receipt = await (
      await registry.storeChunks(record.recordId, 0, [
        record.content.subarray(0, 100),
        record.content.subarray(100, 200),
      ])
    ).wait();
    const chunks = chunkAddressesFrom(registry, receipt!);
    const tail = [record.content.subarray(200)];

    await expect(registry.commitRecord(commitInput(record, [chunks[1], chunks[0]]), tail))
      .to.be.revertedWithCustomError(registry, 'EmrRegistryChunkListMismatch')
      .withArgs(record.recordId);
    await expect(registry.commitRecord(commitInput(record, [chunks[0]]), tail))
      .to.be.revertedWithCustomError(registry, 'EmrRegistryChunkListMismatch')
      .withArgs(record.recordId);
    await expect(registry.commitRecord(commitInput(record, [chunks[0], randomAddress()]), tail))
      .to.be.revertedWithCustomError(registry, 'EmrRegistryChunkListMismatch')
      .withArgs(record.recordId);
    await expect(registry.commitRecord(commitInput(record, chunks), []))
      .to.be.revertedWithCustomError(registry, 'EmrRegistryContentLengthMismatch')
      .withArgs(record.recordId, 300, 200);

    await expect(registry.commitRecord(commitInput(record, chunks), tail)).to.emit(registry, 'RecordStored');
    expect(await readContent((await registry.getRecord(record.recordId)).chunks)).to.deep.equal(
      new Uint8Array(record.content),
    );
    expect((await registry.pendingUpload(writer.address, record.recordId))[0]).to.equal(0n);
  });

  it('refuses a manifest over the EIP-170 limit', async () => {
    const { registry } = await loadFixture(deployWithThreeRecords);
    const record = { ...makeRecord(1), keyEnvelope: randomBytes(24_576 - 7 - 120 - 64 - 20 + 1) };
    await expect(registry.commitRecord(commitInput(record, []), [record.content]))
      .to.be.revertedWithCustomError(registry, 'EmrRegistryManifestTooLarge')
      .withArgs(record.recordId, 24_577, 24_576);
    const fits = { ...record, keyEnvelope: record.keyEnvelope.subarray(1) };
    await expect(registry.commitRecord(commitInput(fits, []), [fits.content], { gasLimit: 16_777_216 })).to.emit(
      registry,
      'RecordStored',
    );
  });

  it('answers unknown ids and patients with custom errors', async () => {
    const { registry } = await loadFixture(deployWithThreeRecords);
    const unknown = randomHex32();
    await expect(registry.getRecord(unknown))
      .to.be.revertedWithCustomError(registry, 'EmrRegistryUnknownRecord')
      .withArgs(unknown);
    await expect(registry.latestRecord(unknown))
      .to.be.revertedWithCustomError(registry, 'EmrRegistryNoRecords')
      .withArgs(unknown);
    expect(await registry.recordExists(unknown)).to.equal(false);
    expect(await registry.recordCount(unknown)).to.equal(0n);
    const [page, total] = await registry.recordsPage(unknown, 0, 10);
    expect(page).to.have.length(0);
    expect(total).to.equal(0n);
  });

  it('pages newest first below a version', async () => {
    const { registry, patientKey, records } = await loadFixture(deployWithThreeRecords);
    const ids = async (before: number, limit: number) =>
      (await registry.recordsPage(patientKey, before, limit))[0].map((view) => view.recordId);
    const [r1, r2, r3] = records.map((record) => record.recordId);

    expect(await ids(0, 100)).to.deep.equal([r3, r2, r1]);
    expect(await ids(0, 2)).to.deep.equal([r3, r2]);
    expect(await ids(3, 2)).to.deep.equal([r2, r1]);
    expect(await ids(2, 100)).to.deep.equal([r1]);
    expect(await ids(1, 100)).to.deep.equal([]);
    expect(await ids(99, 1)).to.deep.equal([r3]);
    expect((await registry.recordsPage(patientKey, 0, 1))[1]).to.equal(3n);
    const [page] = await registry.recordsPage(patientKey, 0, 3);
    page.forEach((view, i) => expectView(view, records[2 - i], 3 - i));

    await expect(registry.recordsPage(patientKey, 0, 0))
      .to.be.revertedWithCustomError(registry, 'EmrRegistryInvalidPageSize')
      .withArgs(0, 100);
    await expect(registry.recordsPage(patientKey, 0, 101))
      .to.be.revertedWithCustomError(registry, 'EmrRegistryInvalidPageSize')
      .withArgs(101, 100);
  });

  it('keeps patients apart', async () => {
    const { registry, patientKey } = await loadFixture(deployWithThreeRecords);
    const other = makeRecord(5);
    await registry.commitRecord(commitInput(other, []), [other.content]);
    expect(await registry.recordCount(other.patientKey)).to.equal(1n);
    expect(await registry.recordCount(patientKey)).to.equal(3n);
    expect((await registry.latestRecord(other.patientKey)).recordId).to.equal(other.recordId);
  });

  it('stamps records with the block time', async () => {
    const { registry } = await loadFixture(deployWithThreeRecords);
    const when = (await time.latest()) + 3_600;
    await time.setNextBlockTimestamp(when);
    const record = makeRecord(5);
    await registry.commitRecord(commitInput(record, []), [record.content]);
    expect((await registry.getRecord(record.recordId)).createdAt).to.equal(BigInt(when));
  });
});

function randomAddress(): string {
  return ethers.getAddress(ethers.hexlify(randomBytes(20)));
}
