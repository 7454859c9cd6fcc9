import { ChainName } from '../../domain/chain-name';
import { LedgerRecord } from '../../domain/emr-record';
import { Ledgers } from '../../domain/ledgers';
import { Hasher } from '../../domain/ports/hasher.port';
import { RecordSigner } from '../../domain/ports/record-signer.port';
import { ReplicationJournal } from '../../domain/ports/replication-journal.port';
import { bytesEqual } from '../../domain/bytes';
import { recordSigningPayloadFor } from '../../domain/record-codec';
import { ReplicaCopier } from './replica-copier';
import { ReplicationWorker } from './replication-worker';

export interface RepairReport {
  /** Records written with `both` that were checked. */
  readonly checked: number;
  /** Copies written to the ledger that lacked them. */
  readonly repaired: number;
  /** Records neither ledger could show (or only in an unverifiable form). */
  readonly unrecoverable: number;
  /** Checks that could not run because a ledger was unreachable. */
  readonly unreachable: number;
}

/**
 * Compares the two ledgers for every record written with `both` and re-replicates any
 * copy that is missing on one side: first by draining the journal, then by copying
 * the verified copy of the other ledger, re-signed for the target ledger (ReplicaCopier).
 */
export class RepairReplicasUseCase {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly journal: ReplicationJournal,
    private readonly worker: ReplicationWorker,
    private readonly copier: ReplicaCopier,
    private readonly signer: RecordSigner,
    private readonly hasher: Hasher,
  ) {}

  private running: Promise<RepairReport> | null = null;

  /** Concurrent calls (startup repair and `npm run repair`) share one pass. */
  execute(): Promise<RepairReport> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<RepairReport> {
    await this.worker.catchUp();
    const stillPending = new Set((await this.journal.pendingRefs()).map((ref) => `${ref.chain}:${ref.recordId.hex}`));
    let checked = 0;
    let repaired = 0;
    let unrecoverable = 0;
    let unreachable = 0;
    const chains = this.ledgers.all().map((repository) => repository.chain);
    for (const ref of await this.journal.replicated()) {
      checked += 1;
      const copies = new Map<ChainName, LedgerRecord | null>();
      let reachable = true;
      for (const chain of chains) {
        try {
          copies.set(chain, await this.ledgers.get(chain).findById(ref.patientKey, ref.recordId));
        } catch {
          reachable = false;
        }
      }
      if (!reachable) {
        unreachable += 1;
        continue;
      }
      const missing = chains.filter((chain) => !copies.get(chain) && !stillPending.has(`${chain}:${ref.recordId.hex}`));
      // The comparison runs on metadata; content (up to MAX_UPLOAD_BYTES per record) is fetched only to restore a copy.
      if (missing.length === 0) continue;
      const source = await this.verifiedSource(copies);
      if (!source) {
        unrecoverable += 1;
        continue;
      }
      for (const chain of missing) {
        await this.copier.copy(chain, { ...source.record, content: source.content });
        repaired += 1;
      }
    }
    return { checked, repaired, unrecoverable, unreachable };
  }

  /** A copy whose signature (for its own ledger) and content digest verify; content is read from the first signed one. */
  private async verifiedSource(
    copies: Map<ChainName, LedgerRecord | null>,
  ): Promise<{ record: LedgerRecord; content: Uint8Array } | null> {
    for (const [chain, record] of copies) {
      if (!record) continue;
      const payload = recordSigningPayloadFor(chain, record, (data) => this.hasher.sha256(data));
      if (!(await this.signer.verify(payload, record.signature, record.signerKeyId))) continue;
      const content = await this.ledgers.get(chain).readContent(record);
      if (bytesEqual(this.hasher.sha256(content), record.contentSha256)) return { record, content };
    }
    return null;
  }
}
