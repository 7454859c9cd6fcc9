import { bytesToHex } from '../../domain/bytes';
import { LedgerRecord } from '../../domain/emr-record';
import { Cipher, DataKey, KeyPair } from '../../domain/ports/cipher.port';
import { KeyVault } from '../../domain/ports/key-vault.port';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Principal, principalRef } from '../../domain/principal';

/** How many records' custodian (the provider key that opens them) to remember. */
const KNOWN_CUSTODIANS_MAX = 10_000;

/**
 * Which provider key the service keeps opens a record — in practice its uploader's. A key envelope
 * (v2) does not say whose slots it holds, so the patient's enrolling provider is tried first, then
 * the others. The answer is remembered per record, "none" included, for good: an envelope never
 * changes, and a provider created later cannot be in an envelope written before. Used for consented
 * and emergency reads (PatientAccess) and for re-wrapping earlier uploads to the patient (PatientRewrap).
 */
export class RecordCustodians {
  /** hex record id -> the provider whose key opens it, or null when none the service keeps does. */
  private readonly custodians = new Map<string, string | null>();

  constructor(
    private readonly principals: PrincipalRepository,
    private readonly keyVault: KeyVault,
    private readonly cipher: Cipher,
  ) {}

  /** The custodian's keys and the record's data key they open, or null. */
  async find(
    patient: Principal,
    record: LedgerRecord,
    aad: Uint8Array,
  ): Promise<{ keys: KeyPair; dataKey: DataKey } | null> {
    const recordKey = bytesToHex(record.recordId.bytes);
    const remembered = this.custodians.get(recordKey);
    if (remembered === null) return null;
    const providers = (await this.principals.list('provider')).map((provider) => provider.id);
    const order = [
      ...(remembered !== undefined ? [remembered] : []),
      ...(patient.createdBy ? [patient.createdBy] : []),
      ...providers,
    ].filter((id, index, all) => all.indexOf(id) === index);
    for (const providerId of order) {
      const keys = await this.keyVault.keyPair(principalRef('provider', providerId));
      const dataKey = keys ? await this.cipher.tryUnwrap([record.keyEnvelope], keys, aad) : null;
      if (!keys || !dataKey) continue;
      this.remember(recordKey, providerId);
      return { keys, dataKey };
    }
    this.remember(recordKey, null);
    return null;
  }

  private remember(recordKey: string, custodian: string | null): void {
    if (this.custodians.size >= KNOWN_CUSTODIANS_MAX && !this.custodians.has(recordKey)) {
      this.custodians.delete(this.custodians.keys().next().value as string);
    }
    this.custodians.set(recordKey, custodian);
  }
}
