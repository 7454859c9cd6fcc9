import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { ethers, network } from 'hardhat';
import { loadFixture } from '@nomicfoundation/hardhat-network-helpers';
import type { EmrRegistry } from '../../typechain-types';

const HISTORY = 10_000;
const PATIENTS = 10_000;
const SMALL_HISTORY = 12;
const TXS_PER_BLOCK = 150;
const COMMIT_GAS = 400_000;

/**
 * Reads must cost the same at 10,000 records per patient and 10,000 patients as at a dozen: every
 * view reads a fixed number of slots (O(1), or O(limit) for a page), never the history or logs.
 */
describe('EmrRegistry: views stay flat at scale', () => {
  async function deployWithLargeHistories() {
    const [admin, writer] = await ethers.getSigners();
    const registry = (await ethers.deployContract('EmrRegistry', [admin.address, writer.address])).connect(writer);
    const bigPatient = hex32();
    const smallPatient = hex32();
    const commits: { patientKey: string; recordId: string }[] = [];
    for (let i = 0; i < HISTORY; i++) commits.push({ patientKey: bigPatient, recordId: hex32() });
    for (let i = 0; i < PATIENTS; i++) commits.push({ patientKey: hex32(), recordId: hex32() });
    for (let i = 0; i < SMALL_HISTORY; i++) commits.push({ patientKey: smallPatient, recordId: hex32() });
    await commitMany(registry, writer.address, commits);
    return { registry, writer, bigPatient, smallPatient, commits };
  }

  it(`holds ${HISTORY} records for one patient next to ${PATIENTS} other patients`, async () => {
    const { registry, bigPatient, smallPatient } = await loadFixture(deployWithLargeHistories);
    expect(await registry.recordCount(bigPatient)).to.equal(BigInt(HISTORY));
    expect(await registry.recordCount(smallPatient)).to.equal(BigInt(SMALL_HISTORY));
  });

  it('costs the same gas to read latest, by id and a page, whatever the history size', async () => {
    const { registry, writer, bigPatient, smallPatient, commits } = await loadFixture(deployWithLargeHistories);
    const oldestOfBig = commits[0].recordId;
    const newestOfSmall = commits[commits.length - 1].recordId;
    const gas = (data: string) => executionGas(writer, registry, data);
    const latest = (key: string) => gas(registry.interface.encodeFunctionData('latestRecord', [key]));
    const byId = (id: string) => gas(registry.interface.encodeFunctionData('getRecord', [id]));
    const page = (key: string, before: number) =>
      gas(registry.interface.encodeFunctionData('recordsPage', [key, before, 10]));

    expect(await latest(bigPatient)).to.equal(await latest(smallPatient));
    expect(await byId(oldestOfBig)).to.equal(await byId(newestOfSmall));
    expect(await page(bigPatient, 0)).to.equal(await page(smallPatient, 0));
    // A cursor costs a few more opcodes than "from the newest", the same at any depth.
    const smallPageBelow = await page(smallPatient, SMALL_HISTORY - 1);
    expect(await page(bigPatient, HISTORY / 2)).to.equal(smallPageBelow);
    expect(await page(bigPatient, 11)).to.equal(smallPageBelow);

    const [oldest] = await registry.recordsPage(bigPatient, 2, 10);
    expect(oldest.map((view) => view.recordId)).to.deep.equal([oldestOfBig]);
    const [newest] = await registry.recordsPage(bigPatient, 0, 1);
    expect(newest[0].version).to.equal(BigInt(HISTORY));
  });
});

/**
 * Exact execution gas of a view: sent as a transaction (a view runs fine as one), minus the
 * intrinsic 21,000 and calldata (4 gas per zero byte, 16 per other byte, EIP-2028), which differ
 * with the arguments' bytes rather than with the work done.
 */
async function executionGas(
  writer: { sendTransaction(tx: { to: string; data: string }): Promise<{ wait(): Promise<unknown> }> },
  registry: EmrRegistry,
  data: string,
): Promise<bigint> {
  const tx = await writer.sendTransaction({ to: await registry.getAddress(), data });
  const receipt = (await tx.wait()) as { gasUsed: bigint; status: number };
  expect(receipt.status).to.equal(1);
  const calldata = ethers.getBytes(data).reduce((sum, byte) => sum + (byte === 0 ? 4 : 16), 0);
  return receipt.gasUsed - 21_000n - BigInt(calldata);
}

function hex32(): string {
  return ethers.hexlify(randomBytes(32).map((byte) => byte | 1));
}

/** Commits empty-content records fast: automine off, raw eth_sendTransaction, one block per batch. */
async function commitMany(
  registry: EmrRegistry,
  from: string,
  commits: readonly { patientKey: string; recordId: string }[],
): Promise<void> {
  const to = await registry.getAddress();
  await network.provider.send('evm_setAutomine', [false]);
  try {
    for (let start = 0; start < commits.length; start += TXS_PER_BLOCK) {
      const batch = commits.slice(start, start + TXS_PER_BLOCK);
      const hashes: string[] = [];
      for (const { patientKey, recordId } of batch) {
        const data = registry.interface.encodeFunctionData('commitRecord', [
          {
            patientKey,
            recordId,
            contentSha256: recordId,
            signerKeyId: recordId,
            contentLength: 0,
            chunks: [],
            sealedHeader: '0x',
            keyEnvelope: '0x',
            signature: '0x',
          },
          [],
        ]);
        hashes.push(
          (await network.provider.send('eth_sendTransaction', [
            { from, to, data, gas: ethers.toQuantity(COMMIT_GAS) },
          ])) as string,
        );
      }
      await network.provider.send('evm_mine', []);
      const last = await ethers.provider.getTransactionReceipt(hashes[hashes.length - 1]);
      if (last?.status !== 1) throw new Error(`commit batch at ${start} failed`);
    }
  } finally {
    await network.provider.send('evm_setAutomine', [true]);
  }
}
