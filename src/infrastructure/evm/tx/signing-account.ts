import { getBytes, hexlify, JsonRpcProvider, keccak256, Wallet } from 'ethers';
import { signEip1559 } from './eip1559-transaction';
import { Fees } from './fee-quotes';

/** A contract call to sign; the gas limit is always explicit (see registry/chunk-plan.ts for why). */
export interface OutgoingTransaction {
  readonly to: string;
  /** Calldata as bytes: large uploads never go through hex strings before the wire. */
  readonly data: Uint8Array;
  readonly gasLimit: number;
}

/** What the sender asks of the node; JsonRpcProvider (tests: a fake). */
export type SenderProvider = Pick<JsonRpcProvider, 'send' | 'getFeeData' | 'getTransactionCount'>;

/**
 * One account on one chain: signs its transactions, hands raw ones to the node, reads its nonces.
 * `exclusive` is the account's one lane: whatever assigns nonces or signs (broadcast rounds,
 * replacements) runs on it, one job at a time, so no two jobs hand out the same nonce.
 */
export class SigningAccount {
  private lane: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly provider: SenderProvider,
    private readonly wallet: Wallet,
    private readonly chainId: bigint,
  ) {}

  get address(): string {
    return this.wallet.address;
  }

  /** Runs `work` after everything queued on the lane before it. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.lane.then(work, work);
    this.lane = result.catch(() => undefined);
    return result;
  }

  /** The node's next nonce, counting its pool ('pending'). */
  async pendingNonce(): Promise<number> {
    // Raw call: the provider must not answer this from a cache.
    return Number(
      BigInt((await this.provider.send('eth_getTransactionCount', [this.wallet.address, 'pending'])) as string),
    );
  }

  /** Transactions of this account mined so far ('latest'). */
  minedNonce(): Promise<number> {
    return this.provider.getTransactionCount(this.wallet.address, 'latest');
  }

  /** The node's eth_getTransactionByHash answer (null: it does not know the transaction). */
  transactionByHash(hash: string): Promise<unknown> {
    return this.provider.send('eth_getTransactionByHash', [hash]);
  }

  broadcastRaw(raw: Uint8Array): Promise<unknown> {
    // Buffer's hex encoder: ethers' hexlify is ~20× slower on 74 KB of calldata.
    return this.provider.send('eth_sendRawTransaction', [`0x${Buffer.from(raw).toString('hex')}`]);
  }

  async sign(tx: OutgoingTransaction, nonce: number, fees: Fees): Promise<{ raw: Uint8Array; hash: string }> {
    const { maxFeePerGas, maxPriorityFeePerGas, gasPrice } = fees;
    if (maxFeePerGas !== null && maxPriorityFeePerGas !== null) {
      return signEip1559(
        {
          chainId: this.chainId,
          nonce,
          maxPriorityFeePerGas,
          maxFeePerGas,
          gasLimit: BigInt(tx.gasLimit),
          to: tx.to,
          value: 0n,
          data: tx.data,
        },
        this.wallet.signingKey,
      );
    }
    // Legacy (pre-London) private chains: ethers' signer, slower but rare.
    const signed = await this.wallet.signTransaction({
      type: 0,
      chainId: this.chainId,
      nonce,
      to: tx.to,
      data: hexlify(tx.data),
      gasLimit: tx.gasLimit,
      gasPrice: gasPrice ?? undefined,
      value: 0,
    });
    return { raw: getBytes(signed), hash: keccak256(signed) };
  }
}
