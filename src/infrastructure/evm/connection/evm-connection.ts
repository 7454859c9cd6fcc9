import { Wallet } from 'ethers';
import { ChainName, CHAIN_DISPLAY_NAMES } from '../../../domain/chain-name';
import { LedgerHealth } from '../../../domain/ports/emr-repository.port';
import {
  MinedReceipt,
  OutgoingTransaction,
  SendDeadlineExceededError,
  TransactionSender,
} from '../tx/transaction-sender';
import { CheckedOnce } from './checked-once';
import {
  assertValidSettings,
  EvmLedgerSettings,
  EvmLogger,
  LedgerMisconfiguredError,
  SILENT_LOGGER,
} from './evm-ledger-settings';
import { LedgerJsonRpcProvider } from './ledger-json-rpc.provider';
import { readWithRetry, toChainUnavailable, unavailable, withDeadline } from './rpc-failures';

/**
 * One EVM ledger as every adapter of it sees it: one provider, one signer queue (TransactionSender)
 * for the writer account, and the chain id check. Both contracts of a chain are written by the same
 * account, so the EmrRegistry and PatientAccessRegistry adapters must share this one connection:
 * two queues on one account would hand out the same nonce twice.
 */
export class EvmConnection {
  readonly chain: ChainName;
  /** "Ledger SUPchain": how log lines and errors name the ledger (never the RPC URL). */
  readonly label: string;
  readonly provider: LedgerJsonRpcProvider;
  private readonly sender: TransactionSender;
  private readonly chainCheck = new CheckedOnce(() => this.checkChainId());

  private constructor(
    readonly settings: EvmLedgerSettings,
    readonly logger: EvmLogger,
  ) {
    this.chain = settings.chain;
    this.label = `Ledger ${CHAIN_DISPLAY_NAMES[settings.chain]}`;
    // The chain id is checked in verifyChain(), not probed by ethers.
    this.provider = LedgerJsonRpcProvider.connect(settings.rpcUrl, settings.expectedChainId, settings.timeoutMs);
    const wallet = new Wallet(settings.signerPrivateKey, this.provider);
    this.sender = new TransactionSender(this.provider, wallet, BigInt(settings.expectedChainId));
  }

  /** Checks the settings' shapes (LedgerMisconfiguredError) and connects; nothing is sent yet. */
  static open(settings: EvmLedgerSettings, logger: EvmLogger = SILENT_LOGGER): EvmConnection {
    assertValidSettings(settings);
    return new EvmConnection(settings, logger);
  }

  /** The account that signs this ledger's transactions (public). */
  get signerAddress(): string {
    return this.sender.address;
  }

  /**
   * The RPC must serve `expectedChainId` (LedgerMisconfiguredError otherwise). Checked on first
   * successful contact, by whichever adapter comes first.
   */
  verifyChain(): Promise<void> {
    return this.chainCheck.run();
  }

  /**
   * One read under the deadline, transient failures retried with backoff (readWithRetry). Contract
   * reverts pass through (callers decode them); anything else becomes ChainUnavailableError.
   */
  rpc<T>(call: () => Promise<T>): Promise<T> {
    return readWithRetry(this.chain, this.settings.timeoutMs, call);
  }

  /**
   * Queues `tx` on the writer's signer queue; resolves to its hash once the node accepted it. Not
   * sent by `deadlineAt` (default: timeoutMs from now) or refused: ChainUnavailableError.
   */
  async broadcast(tx: OutgoingTransaction, deadlineAt = Date.now() + this.settings.timeoutMs): Promise<string> {
    try {
      return await withDeadline(this.sender.send(tx, deadlineAt), this.settings.timeoutMs, () =>
        unavailable(this.chain, 'the transaction could not be sent in time'),
      );
    } catch (error) {
      if (error instanceof SendDeadlineExceededError) {
        throw unavailable(this.chain, 'the transaction could not be sent in time');
      }
      this.logger.warn(`${this.label}: broadcast failed (${errorCode(error)}).`);
      throw toChainUnavailable(this.chain, error);
    }
  }

  /**
   * The receipt of `hash` once mined with `confirmations` blocks, by `deadlineAt` (default:
   * timeoutMs from now), else ChainUnavailableError. A reverted receipt is returned: what a revert
   * means is the caller's to say.
   */
  async mined(
    hash: string,
    confirmations: number,
    deadlineAt = Date.now() + this.settings.timeoutMs,
  ): Promise<MinedReceipt> {
    let receipt: MinedReceipt | null;
    try {
      receipt = await withDeadline(
        this.sender.waitForReceipt(hash, confirmations, deadlineAt),
        this.settings.timeoutMs,
        () => unavailable(this.chain, `transaction ${hash} was not confirmed in time`),
      );
    } catch (error) {
      throw toChainUnavailable(this.chain, error);
    }
    if (!receipt) throw unavailable(this.chain, `transaction ${hash} was not confirmed in time`);
    return receipt;
  }

  /** Chain id and height as the RPC reports them now; 'down' when it does not answer or serves another chain. */
  async health(): Promise<LedgerHealth> {
    try {
      const [chainId, blockNumber] = await this.rpc(() =>
        Promise.all([this.provider.send('eth_chainId', []) as Promise<string>, this.provider.getBlockNumber()]),
      );
      const id = Number(BigInt(chainId));
      return { status: id === this.settings.expectedChainId ? 'up' : 'down', chainId: id, blockNumber };
    } catch {
      return { status: 'down', chainId: null, blockNumber: null };
    }
  }

  /** Releases the RPC connection; every adapter on it is unusable afterwards. */
  close(): void {
    this.provider.destroy();
  }

  private async checkChainId(): Promise<void> {
    const chainId = Number(BigInt(await this.rpc(() => this.provider.send('eth_chainId', []) as Promise<string>)));
    if (chainId !== this.settings.expectedChainId) {
      const message = `the RPC serves chain id ${chainId}, expected ${this.settings.expectedChainId}; refusing to use it.`;
      this.logger.error(`${this.label}: ${message}`);
      throw new LedgerMisconfiguredError(this.chain, message);
    }
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown';
}
