import { bytesToHex } from '../../domain/bytes';
import { ChainName } from '../../domain/chain-name';
import {
  copyWrittenFields,
  LedgerRecord,
  NewLedgerRecord,
  PATIENT_KEY_BYTES,
  storedFieldsOf,
} from '../../domain/emr-record';
import { ChainUnavailableError, DuplicateRecordError, ValidationFailedError } from '../../domain/errors';
import { EmrRepository, LedgerHealth, ListQuery } from '../../domain/ports/emr-repository.port';
import { Clock } from '../../domain/ports/clock.port';
import { RecordId } from '../../domain/record-id';

interface StoredEntry {
  readonly record: LedgerRecord;
  readonly content: Uint8Array;
}

/**
 * A ledger in process memory, for tests and for integrators who run the service
 * without chains. Same semantics as the EVM registry: append-only, versions per
 * patient, record ids unique per ledger. Bytes are copied in and out so callers
 * can never mutate what was "committed".
 */
export class InMemoryEmrRepository extends EmrRepository {
  private readonly histories = new Map<string, StoredEntry[]>();
  private readonly byId = new Map<string, StoredEntry>();
  private height = 0;
  private reachable = true;

  constructor(
    readonly chain: ChainName,
    private readonly clock: Clock,
    private readonly chainId: number | null = null,
  ) {
    super();
  }

  async append(record: NewLedgerRecord): Promise<LedgerRecord> {
    this.assertReachable();
    if (record.patientKey.length !== PATIENT_KEY_BYTES) {
      throw new ValidationFailedError('patientKey must be 32 bytes.');
    }
    if (this.byId.has(record.recordId.hex)) {
      throw new DuplicateRecordError(`Record ${record.recordId.hex} already exists on ${this.chain}.`);
    }
    const patient = bytesToHex(record.patientKey);
    const history = this.histories.get(patient) ?? [];
    this.height += 1;
    const stored: LedgerRecord = {
      ...storedFieldsOf(record),
      chain: this.chain,
      version: history.length + 1,
      contentLocation: [],
      createdAt: this.clock.now(),
      writer: 'memory',
      transactions: [],
      blockNumber: this.height,
    };
    const entry: StoredEntry = { record: stored, content: Uint8Array.from(record.content) };
    history.push(entry);
    this.histories.set(patient, history);
    this.byId.set(stored.recordId.hex, entry);
    return copyRecord(stored);
  }

  async list(patientKey: Uint8Array, query: ListQuery): Promise<LedgerRecord[]> {
    this.assertReachable();
    const history = this.histories.get(bytesToHex(patientKey)) ?? [];
    const below = Math.min(query.beforeVersion ?? history.length + 1, history.length + 1);
    const start = Math.max(0, below - 1 - query.limit);
    return history
      .slice(start, below - 1)
      .reverse()
      .map((entry) => copyRecord(entry.record));
  }

  async latest(patientKey: Uint8Array): Promise<LedgerRecord | null> {
    this.assertReachable();
    const history = this.histories.get(bytesToHex(patientKey));
    return history && history.length > 0 ? copyRecord(history[history.length - 1].record) : null;
  }

  async findById(patientKey: Uint8Array, recordId: RecordId): Promise<LedgerRecord | null> {
    this.assertReachable();
    const entry = this.byId.get(recordId.hex);
    if (!entry || bytesToHex(entry.record.patientKey) !== bytesToHex(patientKey)) return null;
    return copyRecord(entry.record);
  }

  async readContent(record: LedgerRecord): Promise<Uint8Array> {
    this.assertReachable();
    const entry = this.byId.get(record.recordId.hex);
    if (!entry) throw new ValidationFailedError('Unknown record.');
    return Uint8Array.from(entry.content);
  }

  async health(): Promise<LedgerHealth> {
    if (!this.reachable) return { status: 'down', chainId: null, blockNumber: null };
    return { status: 'up', chainId: this.chainId, blockNumber: this.height };
  }

  /** Test hook: simulates the ledger going down (every call fails with ChainUnavailableError) and coming back. */
  setReachable(reachable: boolean): void {
    this.reachable = reachable;
  }

  /** Test hook: simulates a ledger that lost a record (e.g. restored from an old snapshot). */
  simulateLoss(recordId: RecordId): void {
    const entry = this.byId.get(recordId.hex);
    if (!entry) return;
    this.byId.delete(recordId.hex);
    const history = this.histories.get(bytesToHex(entry.record.patientKey)) ?? [];
    this.histories.set(
      bytesToHex(entry.record.patientKey),
      history.filter((item) => item !== entry),
    );
  }

  private assertReachable(): void {
    if (!this.reachable) throw new ChainUnavailableError(`Ledger ${this.chain} is unreachable.`, 1);
  }

  /**
   * Test hook: lets tamper tests alter what the ledger holds, as an attacker with
   * write access to the chain's storage could.
   */
  tamper(recordId: RecordId, mutate: (entry: { record: LedgerRecord; content: Uint8Array }) => void): void {
    const entry = this.byId.get(recordId.hex);
    if (!entry) throw new Error('tamper: unknown record');
    mutate(entry as { record: LedgerRecord; content: Uint8Array });
  }
}

function copyRecord(record: LedgerRecord): LedgerRecord {
  return {
    ...record,
    ...copyWrittenFields(record),
    contentLocation: [...record.contentLocation],
    transactions: [...record.transactions],
    createdAt: new Date(record.createdAt.getTime()),
  };
}
