import { expect } from 'chai';
import { ethers } from 'hardhat';
import { loadFixture } from '@nomicfoundation/hardhat-network-helpers';

/** The prototype's ABI, verbatim from its README (shared/SEED.md). */
const SEED_ABI = [
  {
    constant: false,
    inputs: [
      { name: '_identifier', type: 'string' },
      { name: '_data', type: 'string' },
    ],
    name: 'storeData',
    outputs: [],
    type: 'function',
  },
  {
    constant: true,
    inputs: [{ name: '_identifier', type: 'string' }],
    name: 'getData',
    outputs: [{ name: '', type: 'string' }],
    type: 'function',
  },
];

describe('EmrRegistry: seed-compatible storeData/getData', () => {
  async function deployWithWriter() {
    const [admin, writer] = await ethers.getSigners();
    const registry = (await ethers.deployContract('EmrRegistry', [admin.address, writer.address])).connect(writer);
    return { registry, writer };
  }

  it("exposes the seed's functions with the same selectors, names and mutability", async () => {
    const { registry } = await loadFixture(deployWithWriter);
    const seed = new ethers.Interface(SEED_ABI);
    for (const name of ['storeData', 'getData'] as const) {
      const ours = registry.interface.getFunction(name)!;
      const theirs = seed.getFunction(name)!;
      expect(ours.selector).to.equal(theirs.selector);
      expect(ours.inputs.map((p) => [p.name, p.type])).to.deep.equal(theirs.inputs.map((p) => [p.name, p.type]));
      expect(ours.outputs.map((p) => p.type)).to.deep.equal(theirs.outputs.map((p) => p.type));
    }
    expect(registry.interface.getFunction('storeData')!.stateMutability).to.equal('nonpayable');
    expect(registry.interface.getFunction('getData')!.stateMutability).to.equal('view');
  });

  it('round-trips data through a client built from the seed ABI alone', async () => {
    const { registry, writer } = await loadFixture(deployWithWriter);
    const seedClient = new ethers.Contract(await registry.getAddress(), SEED_ABI, writer);
    const base64 = Buffer.from('encrypted image bytes').toString('base64');
    await (await seedClient.storeData('record-42', base64)).wait();
    expect(await seedClient.getData('record-42')).to.equal(base64);
    expect(await seedClient.getData('never-stored')).to.equal('');
  });

  it('appends instead of overwriting: getData answers the latest, older versions stay readable', async () => {
    const { registry, writer } = await loadFixture(deployWithWriter);
    await expect(registry.storeData('id', 'first')).to.emit(registry, 'DataStored').withArgs('id', writer.address, 1);
    await expect(registry.storeData('id', 'second')).to.emit(registry, 'DataStored').withArgs('id', writer.address, 2);
    expect(await registry.getData('id')).to.equal('second');
    expect(await registry.dataVersionCount('id')).to.equal(2n);
    expect(await registry.getDataAt('id', 1)).to.equal('first');
    expect(await registry.getDataAt('id', 2)).to.equal('second');
    await expect(registry.getDataAt('id', 3))
      .to.be.revertedWithCustomError(registry, 'EmrRegistryUnknownData')
      .withArgs('id', 3);
    await expect(registry.getDataAt('id', 0))
      .to.be.revertedWithCustomError(registry, 'EmrRegistryUnknownData')
      .withArgs('id', 0);
  });

  it('stores an empty string and a long one', async () => {
    const { registry } = await loadFixture(deployWithWriter);
    const long = 'A'.repeat(10_000);
    await registry.storeData('empty', '');
    await registry.storeData('long', long);
    expect(await registry.getData('empty')).to.equal('');
    expect(await registry.dataVersionCount('empty')).to.equal(1n);
    expect(await registry.getData('long')).to.equal(long);
  });
});
