import { LedgerAccessEntry } from '../access-log';
import { ChainName } from '../chain-name';
import { LedgerConsent } from '../consent';

export interface AccessLogQuery {
  /** 1..100 */
  readonly limit: number;
  /** Return only entries with a position strictly below this one (newest first). */
  readonly beforePosition?: number;
  /** Only emergency (break-glass) entries, through the ledger's own index: O(page), never a scan. */
  readonly emergencyOnly?: boolean;
}

export interface PositionedAccessEntry extends LedgerAccessEntry {
  /** 1-based position in the patient's access log on this ledger. */
  readonly position: number;
}

/**
 * The patient-centric half of a ledger: published public keys, consents and the
 * access log. Everyone appears by pseudonym only. One instance serves one ledger.
 */
export abstract class AccessLedger {
  abstract readonly chain: ChainName;

  /** Publishes (or rotates) the P-256 public key of a patient or provider. */
  abstract publishPublicKey(subjectKey: Uint8Array, publicKey: Uint8Array): Promise<void>;

  abstract publicKeyOf(subjectKey: Uint8Array): Promise<Uint8Array | null>;

  /** Grants (or re-grants, replacing the expiry) a provider's consent. */
  abstract grantConsent(
    patientKey: Uint8Array,
    providerKey: Uint8Array,
    expiresAt: Date | null,
  ): Promise<LedgerConsent>;

  /** Revokes a consent; revoking one that is not in force is not an error. */
  abstract revokeConsent(patientKey: Uint8Array, providerKey: Uint8Array): Promise<void>;

  /** The consent as the ledger holds it now, expired or not; null if none or revoked. */
  abstract consentFor(patientKey: Uint8Array, providerKey: Uint8Array): Promise<LedgerConsent | null>;

  /** Every consent of the patient not revoked (expired ones included). */
  abstract consentsOf(patientKey: Uint8Array): Promise<LedgerConsent[]>;

  /** Appends entries in one write where the ledger allows it. */
  abstract appendAccessLog(entries: readonly LedgerAccessEntry[]): Promise<void>;

  /** The patient's access log, newest first. */
  abstract accessLog(patientKey: Uint8Array, query: AccessLogQuery): Promise<PositionedAccessEntry[]>;

  /** How many emergency entries the patient's access log holds. */
  abstract emergencyCount(patientKey: Uint8Array): Promise<number>;
}
