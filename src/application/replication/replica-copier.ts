import { ChainName } from '../../domain/chain-name';
import { LedgerRecord, NewLedgerRecord } from '../../domain/emr-record';
import { ChainUnavailableError, DuplicateRecordError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { Clock } from '../../domain/ports/clock.port';
import { Hasher } from '../../domain/ports/hasher.port';
import { RecordSigner } from '../../domain/ports/record-signer.port';
import { ReplicationJournal } from '../../domain/ports/replication-journal.port';
import { recordSigningPayloadFor } from '../../domain/record-codec';

/** What every copy of a record shares (id, ciphertext, key envelope); only the signature is per ledger. */
export type ReplicaSource = Omit<NewLedgerRecord, 'signature' | 'signerKeyId'>;

/**
 * Puts a copy of a record on a ledger: signed for that ledger (the signature binds the
 * chain, so a copy is never moved with another ledger's signature), then appended, or
 * journaled for the ReplicationWorker when that ledger is down. Used by an upload's own
 * writes, by an upload retry that finds an earlier attempt on one ledger only, and by repair.
 */
export class ReplicaCopier {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly signer: RecordSigner,
    private readonly journal: ReplicationJournal,
    private readonly clock: Clock,
    private readonly hasher: Hasher,
  ) {}

  /** The record as `chain` stores it; signed with payload v2 when its key envelope is v2 (it covers the envelope). */
  async signFor(chain: ChainName, source: ReplicaSource): Promise<NewLedgerRecord> {
    const { recordId, patientKey, contentSha256, sealedHeader } = source;
    return {
      recordId,
      patientKey,
      content: source.content,
      contentSha256,
      sealedHeader,
      keyEnvelope: source.keyEnvelope,
      signature: await this.signer.sign(recordSigningPayloadFor(chain, source, (data) => this.hasher.sha256(data))),
      signerKeyId: this.signer.keyId(),
    };
  }

  /**
   * After each ledger was asked to append its copy of one record (`outcomes[i]` for `drafts[i]`): when
   * none committed, the ledgers' own error (503 for an unreachable one); otherwise the copies that
   * failed are owed through the journal and a record meant for several ledgers is noted as
   * replicated. Callers deal with DuplicateRecordError first (what it means differs per upload).
   */
  async settle(
    drafts: readonly (readonly [ChainName, NewLedgerRecord])[],
    outcomes: readonly PromiseSettledResult<LedgerRecord>[],
  ): Promise<{ committed: LedgerRecord[]; pending: ChainName[] }> {
    const committed = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    if (committed.length === 0) {
      const reasons = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
      throw reasons.find((reason) => !(reason instanceof ChainUnavailableError)) ?? reasons[0];
    }
    const failed = drafts.filter((_, index) => outcomes[index].status === 'rejected');
    for (const [chain, copy] of failed) await this.owe(chain, copy);
    if (drafts.length > 1) {
      const [, first] = drafts[0];
      await this.journal.noteReplicated({ patientKey: first.patientKey, recordId: first.recordId });
    }
    return { committed, pending: failed.map(([chain]) => chain) };
  }

  /** Durably owes `copy` to its ledger; the ReplicationWorker writes it once the ledger is back. */
  async owe(chain: ChainName, copy: NewLedgerRecord): Promise<void> {
    await this.journal.add({ chain, record: copy, queuedAt: this.clock.now() });
  }

  /**
   * Signs and appends a copy; returns the committed copy, or null when it was journaled
   * instead because the ledger is down (or, with `knownDown`, was found down just before).
   * A duplicate id means an earlier attempt already put it there: that copy is the answer.
   */
  async copyOrJournal(chain: ChainName, source: ReplicaSource, knownDown = false): Promise<LedgerRecord | null> {
    const copy = await this.signFor(chain, source);
    const written = knownDown ? null : await this.appendOrNull(chain, copy);
    if (!written) await this.owe(chain, copy);
    return written;
  }

  /** Signs and appends a copy; a ledger that is down fails the call (repair counts it and tries again later). */
  async copy(chain: ChainName, source: ReplicaSource): Promise<void> {
    const copy = await this.signFor(chain, source);
    // Another writer (a catch-up, a second repair) may have written it meanwhile: that is success.
    await this.ledgers
      .get(chain)
      .append(copy)
      .catch((error: unknown) => {
        if (!(error instanceof DuplicateRecordError)) throw error;
      });
  }

  /** The committed copy, or null when the ledger is down. */
  private async appendOrNull(chain: ChainName, copy: NewLedgerRecord): Promise<LedgerRecord | null> {
    const repository = this.ledgers.get(chain);
    try {
      return await repository.append(copy);
    } catch (error) {
      if (error instanceof DuplicateRecordError) return repository.findById(copy.patientKey, copy.recordId);
      if (error instanceof ChainUnavailableError) return null;
      throw error;
    }
  }
}
