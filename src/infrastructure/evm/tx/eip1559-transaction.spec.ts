import { randomBytes } from 'node:crypto';
import { hexlify, keccak256, Transaction, Wallet } from 'ethers';
import { signEip1559 } from './eip1559-transaction';

describe('signEip1559', () => {
  const wallet = new Wallet(hexlify(randomBytes(32)));

  async function expectSameAsEthers(fields: Parameters<typeof signEip1559>[0]): Promise<void> {
    const ours = signEip1559(fields, wallet.signingKey);
    const theirs = await wallet.signTransaction({ type: 2, ...fields, data: hexlify(fields.data) });
    expect(hexlify(ours.raw)).toBe(theirs);
    expect(ours.hash).toBe(Transaction.from(theirs).hash);
    expect(ours.hash).toBe(keccak256(ours.raw));
    expect(Transaction.from(hexlify(ours.raw)).from).toBe(wallet.address);
  }

  it('matches ethers byte for byte on large calldata (long RLP strings and lists)', async () => {
    await expectSameAsEthers({
      chainId: 1_337_101n,
      nonce: 70_000,
      maxPriorityFeePerGas: 1_000_000_000n,
      maxFeePerGas: 2_875_000_001n,
      gasLimit: 16_256_065n,
      to: hexlify(randomBytes(20)),
      value: 0n,
      data: randomBytes(73_941),
    });
  });

  it('matches ethers on zero values, single low bytes and short calldata', async () => {
    for (const data of [
      new Uint8Array(0),
      Uint8Array.of(0x7f),
      Uint8Array.of(0x80),
      randomBytes(55),
      randomBytes(56),
    ]) {
      await expectSameAsEthers({
        chainId: 11_155_111n,
        nonce: 0,
        maxPriorityFeePerGas: 0n,
        maxFeePerGas: 1n,
        gasLimit: 21_000n,
        to: hexlify(randomBytes(20)),
        value: 0n,
        data,
      });
    }
  });

  it('matches ethers across random fields, including an r or s with a leading zero byte', async () => {
    let leadingZeroSeen = false;
    for (let nonce = 0; nonce < 4_000 && !(leadingZeroSeen && nonce >= 64); nonce++) {
      const fields = {
        chainId: 1n,
        nonce,
        maxPriorityFeePerGas: BigInt(nonce),
        maxFeePerGas: BigInt(1 + nonce * 1_000),
        gasLimit: 100_000n,
        to: hexlify(randomBytes(20)),
        value: BigInt(nonce % 2),
        data: randomBytes(nonce % 70),
      };
      const { signature } = Transaction.from(hexlify(signEip1559(fields, wallet.signingKey).raw));
      const leadingZero = signature!.r.startsWith('0x00') || signature!.s.startsWith('0x00');
      if (nonce < 64 || leadingZero) await expectSameAsEthers(fields);
      leadingZeroSeen ||= leadingZero;
    }
    expect(leadingZeroSeen).toBe(true);
  });

  it('refuses a malformed destination', () => {
    const fields = {
      chainId: 1n,
      nonce: 0,
      maxPriorityFeePerGas: 0n,
      maxFeePerGas: 0n,
      gasLimit: 0n,
      to: '0x1234',
      value: 0n,
      data: new Uint8Array(0),
    };
    expect(() => signEip1559(fields, wallet.signingKey)).toThrow(TypeError);
  });
});
