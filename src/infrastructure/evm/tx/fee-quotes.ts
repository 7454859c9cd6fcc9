import { FeeData, JsonRpcProvider } from 'ethers';

/** Fee quotes are reused this long: one eth_gasPrice/eth_getBlock round trip per burst, not per tx. */
const FEE_DATA_TTL_MS = 3_000;
/**
 * Fee bump for a replacement: nodes accept a same-nonce transaction only if it pays at least
 * 10 % more (geth's default price bump); 25 % leaves room above that.
 */
const REPLACEMENT_BUMP_PERCENT = 125n;

/** What a transaction is signed to pay: EIP-1559 caps, or a legacy gas price (pre-London chains). */
export interface Fees {
  readonly maxFeePerGas: bigint | null;
  readonly maxPriorityFeePerGas: bigint | null;
  readonly gasPrice: bigint | null;
}

/** The node's fee quote, cached for FEE_DATA_TTL_MS. */
export class FeeQuotes {
  private cached: { readonly data: FeeData; readonly fetchedAt: number } | null = null;

  constructor(private readonly provider: Pick<JsonRpcProvider, 'getFeeData'>) {}

  async current(): Promise<Fees> {
    if (!this.cached || Date.now() - this.cached.fetchedAt > FEE_DATA_TTL_MS) {
      this.cached = { data: await this.provider.getFeeData(), fetchedAt: Date.now() };
    }
    const { maxFeePerGas, maxPriorityFeePerGas, gasPrice } = this.cached.data;
    return { maxFeePerGas, maxPriorityFeePerGas, gasPrice };
  }

  /** The next quote is asked of the node: fees moved (a transaction was refused as underpriced). */
  forget(): void {
    this.cached = null;
  }
}

/** The fees of a same-nonce replacement: every figure raised by REPLACEMENT_BUMP_PERCENT, plus one wei. */
export function bumpFees(fees: Fees): Fees {
  const bump = (value: bigint | null) => (value === null ? null : (value * REPLACEMENT_BUMP_PERCENT) / 100n + 1n);
  return {
    maxFeePerGas: bump(fees.maxFeePerGas),
    maxPriorityFeePerGas: bump(fees.maxPriorityFeePerGas),
    gasPrice: bump(fees.gasPrice),
  };
}
