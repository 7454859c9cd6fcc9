import { ValidationFailedError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { Clock } from '../../domain/ports/clock.port';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { parseProviderId, Principal } from '../../domain/principal';
import { parseConsentSignatures, parseEpochSlot } from './consent-signatures';
import { ConsentView, requirePatientSelf, toConsentView } from './consent-view';

export interface GrantConsentInput {
  readonly actor: Principal;
  readonly patientId: string;
  readonly providerId: unknown;
  /** ISO-8601; omitted: until revoked. */
  readonly expiresAt?: unknown;
  /** base64: the current epoch's private key sealed to the provider (made in the patient's browser). */
  readonly epochSlot: unknown;
  /** `{ "<chain>": { nonce, r, s } }`: the patient's signature for each ledger. */
  readonly signatures: unknown;
}

/** Ledgers keep time in whole seconds. */
const SECOND_MS = 1000;

/**
 * The patient grants a provider consent to read all their records, signed in their browser; the
 * service relays the signature and the provider's epoch slot to every ledger, whose contract
 * verifies it (any sender could). Every ledger checks its signature first (a dry run), so one that
 * refuses (422 CONSENT_SIGNATURE_INVALID) leaves the others unwritten. A ledger that cannot be
 * reached fails the request with 503; the nonce of a ledger that was written is spent, so the
 * client signs again from a fresh consent-context.
 */
export class GrantConsentUseCase {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly ledgers: Ledgers,
    private readonly pseudonymizer: Pseudonymizer,
    private readonly clock: Clock,
  ) {}

  async execute(input: GrantConsentInput): Promise<ConsentView> {
    const patientId = PatientId.parse(input.patientId);
    requirePatientSelf(input.actor, patientId);
    const providerId = parseProviderId(input.providerId);
    const expiresAt = parseExpiry(input.expiresAt, this.clock.now());
    const epochSlot = parseEpochSlot(input.epochSlot);
    const ledgers = this.ledgers.allAccess();
    const signatures = parseConsentSignatures(
      input.signatures,
      ledgers.map((ledger) => ledger.chain),
    );
    if (!(await this.principals.find('provider', providerId))) {
      throw new ValidationFailedError('No provider with this id exists.', 'providerId');
    }
    const patientKey = this.pseudonymizer.patientKey(patientId);
    const providerKey = this.pseudonymizer.providerKey(providerId);
    await Promise.all(
      ledgers.map((ledger) =>
        ledger.checkGrantConsent(patientKey, providerKey, expiresAt, signatures.get(ledger.chain)!, epochSlot),
      ),
    );
    const granted = await Promise.all(
      ledgers.map((ledger) =>
        ledger.grantConsent(patientKey, providerKey, expiresAt, signatures.get(ledger.chain)!, epochSlot),
      ),
    );
    return toConsentView(
      providerId,
      granted[0],
      ledgers.map((ledger) => ledger.chain),
      this.clock.now(),
    );
  }
}

function parseExpiry(raw: unknown, now: Date): Date | null {
  if (raw === undefined || raw === null) return null;
  const parsed = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(raw) ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(parsed.getTime())) {
    throw new ValidationFailedError('expiresAt must be an ISO-8601 date-time.', 'expiresAt');
  }
  const seconds = new Date(Math.floor(parsed.getTime() / SECOND_MS) * SECOND_MS);
  if (seconds.getTime() <= now.getTime())
    throw new ValidationFailedError('expiresAt must be in the future.', 'expiresAt');
  return seconds;
}
