import { expect } from 'chai';
import { ethers, network } from 'hardhat';
import { loadFixture } from '@nomicfoundation/hardhat-network-helpers';
import type { HardhatNetworkConfig } from 'hardhat/types';
import {
  EIP7825_TX_GAS_CAP,
  MAX_CHUNK_BYTES,
  maxContentBytes,
  planUpload,
} from '../../src/infrastructure/evm/registry/chunk-plan';
import { makeRecord, readContent, sealedFieldsBytes, uploadRecord, UploadResult } from './upload-helpers';

const KIB = 1_024;
const MIB = 1_024 * KIB;
/** AES-GCM tag appended to the plaintext. */
const GCM_TAG_BYTES = 16;

describe('EmrRegistry: uploads under the Osaka per-transaction gas cap (EIP-7825)', () => {
  async function deployOnOsaka() {
    const [admin, writer] = await ethers.getSigners();
    const registry = (await ethers.deployContract('EmrRegistry', [admin.address, writer.address])).connect(writer);
    return { registry, writer };
  }

  function expectEveryTransactionUnderTheCap(result: UploadResult) {
    result.receipts.forEach((receipt, i) => {
      expect(receipt.status).to.equal(1);
      expect(Number(receipt.gasUsed)).to.be.at.most(result.gasLimits[i]);
      expect(result.gasLimits[i]).to.be.at.most(EIP7825_TX_GAS_CAP);
    });
  }

  it('runs on the osaka hardfork, whose nodes refuse a transaction over 16,777,216 gas', async () => {
    const { writer } = await loadFixture(deployOnOsaka);
    expect((network.config as HardhatNetworkConfig).hardfork).to.equal('osaka');
    // A plain transfer to itself: nothing but the cap can make it fail.
    const refused = await writer.sendTransaction({ to: writer.address, gasLimit: EIP7825_TX_GAS_CAP + 1 }).then(
      () => null,
      (error: Error) => error,
    );
    expect(refused?.message).to.match(/cap/);
    const accepted = await writer.sendTransaction({ to: writer.address, gasLimit: EIP7825_TX_GAS_CAP });
    expect((await accepted.wait())?.status).to.equal(1);
  });

  for (const plaintextBytes of [1 * MIB, 10 * MIB]) {
    it(`uploads ${plaintextBytes / MIB} MiB with every transaction under the cap and reads it back`, async () => {
      const { registry } = await loadFixture(deployOnOsaka);
      const record = makeRecord(plaintextBytes + GCM_TAG_BYTES);
      const result = await uploadRecord(registry, record);

      expectEveryTransactionUnderTheCap(result);
      expect(result.chunks).to.have.length(Math.ceil(record.content.length / MAX_CHUNK_BYTES));
      const view = await registry.getRecord(record.recordId);
      expect(view.chunks).to.deep.equal(result.chunks);
      expect(await readContent(view.chunks)).to.deep.equal(new Uint8Array(record.content));
    });
  }

  it('plans gas limits that cover every shape: chunk counts around the commit tail, remainders, big manifests', async () => {
    const { registry } = await loadFixture(deployOnOsaka);
    const sizes = [0, 1, MAX_CHUNK_BYTES, MAX_CHUNK_BYTES + 1, 3 * MAX_CHUNK_BYTES, 3 * MAX_CHUNK_BYTES + 1];
    sizes.push(4 * MAX_CHUNK_BYTES, 6 * MAX_CHUNK_BYTES + 17, 7 * MAX_CHUNK_BYTES - 1, 12 * MAX_CHUNK_BYTES);
    for (const size of sizes) {
      const result = await uploadRecord(registry, makeRecord(size));
      expectEveryTransactionUnderTheCap(result);
    }
    // A large key envelope (many recipients) leaves room for fewer chunk addresses in the manifest.
    const heavy = { ...makeRecord(5 * MAX_CHUNK_BYTES), keyEnvelope: new Uint8Array(20_000).fill(7) };
    expectEveryTransactionUnderTheCap(await uploadRecord(registry, heavy));
  });

  it('fits a whole small record in one transaction and a 1 MiB record in 15', () => {
    const fields = sealedFieldsBytes(makeRecord(0));
    const small = planUpload(KIB + GCM_TAG_BYTES, fields);
    expect(small.batches).to.have.length(0);
    expect(small.tail).to.have.length(1);
    const large = planUpload(MIB + GCM_TAG_BYTES, fields);
    expect(large.batches.length + 1).to.equal(15);
    expect(Math.max(...large.batches.map((batch) => batch.length))).to.equal(3);
  });

  it('refuses to plan content whose manifest would exceed EIP-170', () => {
    const fields = sealedFieldsBytes(makeRecord(0));
    expect(() => planUpload(maxContentBytes(fields), fields)).not.to.throw();
    expect(() => planUpload(maxContentBytes(fields) + 1, fields)).to.throw(RangeError);
  });
});
