import { expect } from 'chai';
import { ethers } from 'hardhat';
import { loadFixture } from '@nomicfoundation/hardhat-network-helpers';
import { commitInput, makeRecord, randomHex32 } from './upload-helpers';

describe('EmrRegistry: access control', () => {
  async function deployWithOneWriter() {
    const [admin, writer, outsider] = await ethers.getSigners();
    const registry = await ethers.deployContract('EmrRegistry', [admin.address, writer.address]);
    return { registry, admin, writer, outsider, writerRole: await registry.WRITER_ROLE() };
  }

  it('grants the admin and writer roles given to the constructor', async () => {
    const { registry, admin, writer, outsider, writerRole } = await loadFixture(deployWithOneWriter);
    expect(await registry.hasRole(await registry.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
    expect(await registry.hasRole(writerRole, writer.address)).to.equal(true);
    expect(await registry.hasRole(writerRole, admin.address)).to.equal(false);
    expect(await registry.hasRole(writerRole, outsider.address)).to.equal(false);
  });

  it('refuses a zero admin at deployment', async () => {
    const [, writer] = await ethers.getSigners();
    const factory = await ethers.getContractFactory('EmrRegistry');
    await expect(factory.deploy(ethers.ZeroAddress, writer.address)).to.be.revertedWithCustomError(
      factory,
      'EmrRegistryZeroAddress',
    );
  });

  it('lets only writers store chunks', async () => {
    const { registry, outsider, writerRole } = await loadFixture(deployWithOneWriter);
    await expect(registry.connect(outsider).storeChunks(randomHex32(), 0, ['0x01']))
      .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
      .withArgs(outsider.address, writerRole);
  });

  it('lets only writers commit records', async () => {
    const { registry, admin, writerRole } = await loadFixture(deployWithOneWriter);
    const record = makeRecord(10);
    await expect(registry.connect(admin).commitRecord(commitInput(record, []), [record.content]))
      .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
      .withArgs(admin.address, writerRole);
  });

  it("lets only writers use the seed's storeData, while getData stays public", async () => {
    const { registry, writer, outsider, writerRole } = await loadFixture(deployWithOneWriter);
    await expect(registry.connect(outsider).storeData('id-1', 'data'))
      .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
      .withArgs(outsider.address, writerRole);
    await registry.connect(writer).storeData('id-1', 'data');
    expect(await registry.connect(outsider).getData('id-1')).to.equal('data');
  });

  it('lets the admin grant and revoke the writer role, and nobody else', async () => {
    const { registry, admin, writer, outsider, writerRole } = await loadFixture(deployWithOneWriter);
    await expect(registry.connect(writer).grantRole(writerRole, outsider.address))
      .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
      .withArgs(writer.address, await registry.DEFAULT_ADMIN_ROLE());

    await expect(registry.connect(admin).grantRole(writerRole, outsider.address))
      .to.emit(registry, 'RoleGranted')
      .withArgs(writerRole, outsider.address, admin.address);
    await registry.connect(outsider).storeData('id-2', 'x');

    await registry.connect(admin).revokeRole(writerRole, outsider.address);
    await expect(registry.connect(outsider).storeData('id-2', 'y')).to.be.revertedWithCustomError(
      registry,
      'AccessControlUnauthorizedAccount',
    );
  });

  it("keeps one writer's pending upload out of another writer's reach", async () => {
    const { registry, admin, writer, writerRole } = await loadFixture(deployWithOneWriter);
    await registry.connect(admin).grantRole(writerRole, admin.address);
    const record = makeRecord(100);
    const receipt = await (await registry.connect(writer).storeChunks(record.recordId, 0, [record.content])).wait();
    const chunk = registry.interface.parseLog(receipt!.logs[0])!.args.chunk as string;

    await expect(registry.connect(admin).commitRecord(commitInput(record, [chunk]), []))
      .to.be.revertedWithCustomError(registry, 'EmrRegistryChunkListMismatch')
      .withArgs(record.recordId);
    await expect(registry.connect(writer).commitRecord(commitInput(record, [chunk]), [])).to.emit(
      registry,
      'RecordStored',
    );
  });
});
