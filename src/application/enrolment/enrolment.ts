import { bytesToHex } from '../../domain/bytes';
import { AlreadyExistsError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { Clock } from '../../domain/ports/clock.port';
import { KeyVault } from '../../domain/ports/key-vault.port';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { principalRef, Role } from '../../domain/principal';
import { AccessTokens } from '../../domain/access-tokens';

export interface Enrolled {
  readonly id: string;
  readonly token: string;
  /** SEC 1 uncompressed P-256 public key, 0x-hex. */
  readonly publicKey: string;
}

/**
 * Shared by provider creation and patient enrolment: a key pair in the vault, its
 * public key published on every ledger, then the principal with a fresh token. The
 * principal is added last, so a ledger failure leaves nobody half-enrolled (a retry
 * reuses the key pair).
 */
export class Enrolment {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly keyVault: KeyVault,
    private readonly ledgers: Ledgers,
    private readonly tokens: AccessTokens,
    private readonly clock: Clock,
  ) {}

  async enrol(role: Exclude<Role, 'admin'>, id: string, subjectKey: Uint8Array, name?: string): Promise<Enrolled> {
    if (await this.principals.find(role, id)) throw new AlreadyExistsError(`This ${role} is already enrolled.`);
    const keyPair = await this.keyVault.createKeyPair(principalRef(role, id));
    await Promise.all(this.ledgers.allAccess().map((ledger) => ledger.publishPublicKey(subjectKey, keyPair.publicKey)));
    const issued = this.tokens.issue();
    const added = await this.principals.add(
      { role, id, ...(name !== undefined ? { name } : {}), createdAt: this.clock.now() },
      issued.hash,
    );
    if (!added) throw new AlreadyExistsError(`This ${role} is already enrolled.`);
    return { id, token: issued.token, publicKey: `0x${bytesToHex(keyPair.publicKey)}` };
  }
}
