import { bytesToHex } from '../../domain/bytes';
import { ClaimCodes } from '../../domain/claim-codes';
import { AlreadyExistsError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { Clock } from '../../domain/ports/clock.port';
import { KeyVault } from '../../domain/ports/key-vault.port';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { principalRef, Role } from '../../domain/principal';
import { ClaimSettings } from './claim-settings';

export interface IssuedClaim {
  /** Grouped `XXXX-XXXX-XXXX-XXXX-XXXX`, shown to the enroller once; only its hash is kept. */
  readonly claimCode: string;
  readonly claimExpiresAt: Date;
}

export interface Enrolled extends IssuedClaim {
  readonly id: string;
  /**
   * A provider's SEC 1 uncompressed P-256 public key, 0x-hex. Null for a patient: their keys are
   * made in their own browser after the claim (RegisterKeysUseCase).
   */
  readonly publicKey: string | null;
  /** The enrolling provider's id, or "admin". */
  readonly createdBy: string;
}

/**
 * Shared by provider creation and patient enrolment: for a provider, a key pair in the vault and
 * its public key published on every ledger (the service is the custodian of provider keys); for a
 * patient, no key at all — theirs are born in their browser. Then the principal with a one-time
 * claim code (no token: only the claimant, exchanging the code, ever sees one). The principal is
 * added last, so a ledger failure leaves nobody half-enrolled (a retry reuses the key pair).
 */
export class Enrolment {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly keyVault: KeyVault,
    private readonly ledgers: Ledgers,
    private readonly claimCodes: ClaimCodes,
    private readonly settings: ClaimSettings,
    private readonly clock: Clock,
  ) {}

  async enrol(
    role: Exclude<Role, 'admin'>,
    id: string,
    subjectKey: Uint8Array,
    createdBy: string,
    name?: string,
  ): Promise<Enrolled> {
    if (await this.principals.find(role, id)) throw new AlreadyExistsError(`This ${role} is already enrolled.`);
    let publicKey: string | null = null;
    if (role === 'provider') {
      const keyPair = await this.keyVault.createKeyPair(principalRef(role, id));
      await Promise.all(
        this.ledgers.allAccess().map((ledger) => ledger.publishPublicKey(subjectKey, keyPair.publicKey)),
      );
      publicKey = `0x${bytesToHex(keyPair.publicKey)}`;
    }
    const { code, pending } = this.newClaim();
    const added = await this.principals.add(
      { role, id, ...(name !== undefined ? { name } : {}), createdAt: this.clock.now(), createdBy },
      null,
      pending,
    );
    if (!added) throw new AlreadyExistsError(`This ${role} is already enrolled.`);
    return {
      id,
      publicKey,
      createdBy,
      claimCode: code,
      claimExpiresAt: pending.expiresAt,
    };
  }

  /** A fresh claim code for an existing principal, voiding its older unused one; null when there is no such principal. */
  async reissue(role: Exclude<Role, 'admin'>, id: string): Promise<IssuedClaim | null> {
    const { code, pending } = this.newClaim();
    if (!(await this.principals.setClaimCode(role, id, pending))) return null;
    return { claimCode: code, claimExpiresAt: pending.expiresAt };
  }

  private newClaim() {
    const issued = this.claimCodes.issue();
    const expiresAt = new Date(this.clock.now().getTime() + this.settings.codeTtlHours * 60 * 60 * 1000);
    return { code: issued.code, pending: { hash: issued.hash, expiresAt } };
  }
}
