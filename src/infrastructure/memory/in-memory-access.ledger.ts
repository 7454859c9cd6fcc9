import { LedgerAccessEntry } from '../../domain/access-log';
import { bytesToHex } from '../../domain/bytes';
import { ChainName } from '../../domain/chain-name';
import { LedgerConsent } from '../../domain/consent';
import {
  AccessLedger,
  AccessLogQuery,
  checkPatientKey,
  checkRecordKeyEntries,
  MAX_RECORD_KEYS,
  PositionedAccessEntry,
  RecordKeyEntry,
  recordKeysSlot,
  tooManyRecordKeys,
} from '../../domain/ports/access-ledger.port';
import { Clock } from '../../domain/ports/clock.port';
import { RecordId } from '../../domain/record-id';

/** Keys, consents, access log and added record keys of one ledger, held in process memory. */
export class InMemoryAccessLedger extends AccessLedger {
  private readonly publicKeys = new Map<string, Uint8Array>();
  /** patient hex -> provider hex -> consent */
  private readonly consents = new Map<string, Map<string, LedgerConsent>>();
  private readonly logs = new Map<string, PositionedAccessEntry[]>();
  /** recordKeysSlot(patient, record) -> envelopes, oldest first */
  private readonly recordKeys = new Map<string, Uint8Array[]>();

  constructor(
    readonly chain: ChainName,
    private readonly clock: Clock,
  ) {
    super();
  }

  async publishPublicKey(subjectKey: Uint8Array, publicKey: Uint8Array): Promise<void> {
    this.publicKeys.set(bytesToHex(subjectKey), Uint8Array.from(publicKey));
  }

  async publicKeyOf(subjectKey: Uint8Array): Promise<Uint8Array | null> {
    const key = this.publicKeys.get(bytesToHex(subjectKey));
    return key ? Uint8Array.from(key) : null;
  }

  async grantConsent(patientKey: Uint8Array, providerKey: Uint8Array, expiresAt: Date | null): Promise<LedgerConsent> {
    const consent: LedgerConsent = {
      patientKey: Uint8Array.from(patientKey),
      providerKey: Uint8Array.from(providerKey),
      grantedAt: this.clock.now(),
      expiresAt: expiresAt ? new Date(expiresAt.getTime()) : null,
    };
    const patient = bytesToHex(patientKey);
    const byProvider = this.consents.get(patient) ?? new Map<string, LedgerConsent>();
    byProvider.set(bytesToHex(providerKey), consent);
    this.consents.set(patient, byProvider);
    return { ...consent };
  }

  async revokeConsent(patientKey: Uint8Array, providerKey: Uint8Array): Promise<void> {
    this.consents.get(bytesToHex(patientKey))?.delete(bytesToHex(providerKey));
  }

  async consentFor(patientKey: Uint8Array, providerKey: Uint8Array): Promise<LedgerConsent | null> {
    const consent = this.consents.get(bytesToHex(patientKey))?.get(bytesToHex(providerKey));
    return consent ? { ...consent } : null;
  }

  async consentsOf(patientKey: Uint8Array): Promise<LedgerConsent[]> {
    return [...(this.consents.get(bytesToHex(patientKey))?.values() ?? [])].map((consent) => ({ ...consent }));
  }

  async appendAccessLog(entries: readonly LedgerAccessEntry[]): Promise<void> {
    for (const entry of entries) {
      const patient = bytesToHex(entry.patientKey);
      const log = this.logs.get(patient) ?? [];
      log.push({ ...entry, position: log.length + 1 });
      this.logs.set(patient, log);
    }
  }

  async accessLog(patientKey: Uint8Array, query: AccessLogQuery): Promise<PositionedAccessEntry[]> {
    const log = this.logs.get(bytesToHex(patientKey)) ?? [];
    const below = Math.min(query.beforePosition || log.length + 1, log.length + 1);
    const older = log.slice(0, below - 1);
    const candidates = query.emergencyOnly ? older.filter((entry) => entry.kind === 'emergency') : older;
    return candidates.slice(Math.max(0, candidates.length - query.limit)).reverse();
  }

  async emergencyCount(patientKey: Uint8Array): Promise<number> {
    return (this.logs.get(bytesToHex(patientKey)) ?? []).filter((entry) => entry.kind === 'emergency').length;
  }

  /** All or nothing, as the contract's one transaction: every cap is checked before anything is stored. */
  async addRecordKeys(entries: readonly RecordKeyEntry[]): Promise<void> {
    checkRecordKeyEntries(entries);
    const added = new Map<string, number>();
    for (const entry of entries) {
      const slot = recordKeysSlot(entry.patientKey, entry.recordId);
      const count = (added.get(slot) ?? this.recordKeys.get(slot)?.length ?? 0) + 1;
      if (count > MAX_RECORD_KEYS) throw tooManyRecordKeys();
      added.set(slot, count);
    }
    for (const entry of entries) {
      const slot = recordKeysSlot(entry.patientKey, entry.recordId);
      const envelopes = this.recordKeys.get(slot) ?? [];
      envelopes.push(Uint8Array.from(entry.keyEnvelope));
      this.recordKeys.set(slot, envelopes);
    }
  }

  async recordKeysOf(patientKey: Uint8Array, recordId: RecordId): Promise<Uint8Array[]> {
    checkPatientKey(patientKey);
    return (this.recordKeys.get(recordKeysSlot(patientKey, recordId)) ?? []).map((envelope) =>
      Uint8Array.from(envelope),
    );
  }
}
