import { expect } from 'chai';
import { ethers } from 'hardhat';
import { loadFixture } from '@nomicfoundation/hardhat-network-helpers';
import {
  RECORD_KEYS_TX_GAS_BUDGET,
  recordKeysTransactionGas,
  splitRecordKeys,
} from '../../src/infrastructure/evm/record-key-batches';

const key = (n: number) => ethers.zeroPadValue(ethers.toBeHex(n), 32);
/** An envelope of `length` bytes, all `fill`, so each one read back is told apart from the others. */
const envelope = (fill: number, length = 115) => '0x' + fill.toString(16).padStart(2, '0').repeat(length);
const recordKey = (patient: number, record: number, keyEnvelope: string) => ({
  patientKey: key(patient),
  recordId: key(record),
  keyEnvelope,
});

describe('PatientAccessRegistry record keys', () => {
  async function deploy() {
    const [admin, writer, outsider] = await ethers.getSigners();
    const registry = await ethers.deployContract('PatientAccessRegistry', [admin.address, writer.address]);
    return { registry: registry.connect(writer), outsider, writerRole: await registry.WRITER_ROLE() };
  }

  it('lets only writers add record keys', async () => {
    const { registry, outsider, writerRole } = await loadFixture(deploy);
    await expect(registry.connect(outsider).addRecordKeys([recordKey(1, 2, envelope(1))]))
      .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
      .withArgs(outsider.address, writerRole);
    expect(await registry.recordKeysOf(key(1), key(2))).to.deep.equal([]);
  });

  it('emits RecordKeyAdded with each envelope’s place in its record’s list', async () => {
    const { registry } = await loadFixture(deploy);
    await registry.addRecordKeys([recordKey(1, 2, envelope(1))]);
    const tx = registry.addRecordKeys([recordKey(1, 2, envelope(2)), recordKey(1, 3, envelope(3))]);
    await expect(tx).to.emit(registry, 'RecordKeyAdded').withArgs(key(1), key(2), 1);
    await expect(tx).to.emit(registry, 'RecordKeyAdded').withArgs(key(1), key(3), 0);
  });

  it('reads envelopes back oldest first, per patient and record', async () => {
    const { registry } = await loadFixture(deploy);
    expect(await registry.recordKeysOf(key(1), key(2))).to.deep.equal([]);
    await registry.addRecordKeys([recordKey(1, 2, envelope(1)), recordKey(1, 3, envelope(2))]);
    await registry.addRecordKeys([recordKey(9, 2, envelope(3)), recordKey(1, 2, envelope(4))]);
    expect(await registry.recordKeysOf(key(1), key(2))).to.deep.equal([envelope(1), envelope(4)]);
    expect(await registry.recordKeysOf(key(1), key(3))).to.deep.equal([envelope(2)]);
    expect(await registry.recordKeysOf(key(9), key(2))).to.deep.equal([envelope(3)]);
    expect(await registry.recordKeysOf(key(9), key(3))).to.deep.equal([]);
  });

  it('refuses an empty batch', async () => {
    const { registry } = await loadFixture(deploy);
    await expect(registry.addRecordKeys([])).to.be.revertedWithCustomError(registry, 'PatientAccessRegistryEmptyBatch');
  });

  it('takes an envelope of 1 and of 4096 bytes, refuses an empty one and one of 4097, storing nothing', async () => {
    const { registry } = await loadFixture(deploy);
    expect(await registry.MAX_KEY_ENVELOPE_BYTES()).to.equal(4096n);
    await expect(registry.addRecordKeys([recordKey(1, 2, envelope(1)), recordKey(1, 2, '0x')]))
      .to.be.revertedWithCustomError(registry, 'PatientAccessRegistryBadKeyEnvelope')
      .withArgs(1, 0);
    await expect(registry.addRecordKeys([recordKey(1, 2, envelope(7, 4097))]))
      .to.be.revertedWithCustomError(registry, 'PatientAccessRegistryBadKeyEnvelope')
      .withArgs(0, 4097);
    expect(await registry.recordKeysOf(key(1), key(2))).to.deep.equal([]);

    await registry.addRecordKeys([recordKey(1, 2, envelope(5, 1)), recordKey(1, 2, envelope(6, 4096))]);
    expect(await registry.recordKeysOf(key(1), key(2))).to.deep.equal([envelope(5, 1), envelope(6, 4096)]);
  });

  it('gives a record at most 32 envelopes, across calls and within one batch', async () => {
    const { registry } = await loadFixture(deploy);
    expect(await registry.MAX_RECORD_KEYS()).to.equal(32n);
    const first = Array.from({ length: 31 }, (_, n) => recordKey(1, 2, envelope(n, 2)));
    await registry.addRecordKeys(first);
    await expect(
      registry.addRecordKeys([
        recordKey(1, 3, envelope(1)),
        recordKey(1, 2, envelope(31, 2)),
        recordKey(1, 2, envelope(32, 2)),
      ]),
    )
      .to.be.revertedWithCustomError(registry, 'PatientAccessRegistryTooManyRecordKeys')
      .withArgs(2, key(1), key(2));
    expect((await registry.recordKeysOf(key(1), key(2))).length).to.equal(31);
    expect(await registry.recordKeysOf(key(1), key(3))).to.deep.equal([]);

    await registry.addRecordKeys([recordKey(1, 2, envelope(31, 2))]);
    await expect(registry.addRecordKeys([recordKey(1, 2, envelope(32, 2))]))
      .to.be.revertedWithCustomError(registry, 'PatientAccessRegistryTooManyRecordKeys')
      .withArgs(0, key(1), key(2));
    const stored = await registry.recordKeysOf(key(1), key(2));
    expect(stored.length).to.equal(32);
    expect(stored[31]).to.equal(envelope(31, 2));
    // The cap is per record: the same patient's other records, and other patients, still take envelopes.
    await registry.addRecordKeys([recordKey(1, 3, envelope(1)), recordKey(2, 2, envelope(1))]);
    expect((await registry.recordKeysOf(key(1), key(3))).length).to.equal(1);
  });

  describe('gas bound of the adapter (record-key-batches.ts)', () => {
    // The fullest batch the adapter sends of each size: smallest, one v2 slot, largest.
    for (const length of [1, 115, 4096]) {
      it(`covers the gas of the fullest batch of ${length}-byte envelopes, which stays within the budget`, async () => {
        const { registry } = await loadFixture(deploy);
        const many = Array.from({ length: 400 }, (_, n) => ({ keyEnvelope: new Uint8Array(length), n }));
        const [fullest] = splitRecordKeys(many);
        const bound = recordKeysTransactionGas(fullest.map(() => length));
        expect(bound).to.be.at.most(RECORD_KEYS_TX_GAS_BUDGET);
        // Distinct records: each entry also opens its record's list, the costlier case.
        const entries = fullest.map(({ n }) => recordKey(1, 10_000 + n, envelope(n % 255 || 1, length)));
        const receipt = await (await registry.addRecordKeys(entries)).wait();
        expect(receipt!.gasUsed).to.be.at.most(BigInt(bound));
      });
    }
  });
});
