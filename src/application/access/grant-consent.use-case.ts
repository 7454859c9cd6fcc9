import { ValidationFailedError } from '../../domain/errors';
import { Ledgers } from '../../domain/ledgers';
import { PatientId } from '../../domain/patient-id';
import { Clock } from '../../domain/ports/clock.port';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Pseudonymizer } from '../../domain/ports/pseudonymizer.port';
import { parseProviderId, Principal } from '../../domain/principal';
import { ConsentView, requirePatientSelf, toConsentView } from './consent-view';

export interface GrantConsentInput {
  readonly actor: Principal;
  readonly patientId: string;
  readonly providerId: unknown;
  /** ISO-8601; omitted: until revoked. */
  readonly expiresAt?: unknown;
}

/** Ledgers keep time in whole seconds. */
const SECOND_MS = 1000;

/**
 * The patient grants a provider consent to read all their records, on every ledger
 * (consent lives beside the records). A ledger that cannot be reached fails the
 * request with 503; granting again is harmless, so the client simply retries.
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
    if (!(await this.principals.find('provider', providerId))) {
      throw new ValidationFailedError('No provider with this id exists.', 'providerId');
    }
    const patientKey = this.pseudonymizer.patientKey(patientId);
    const providerKey = this.pseudonymizer.providerKey(providerId);
    const ledgers = this.ledgers.allAccess();
    const granted = await Promise.all(ledgers.map((ledger) => ledger.grantConsent(patientKey, providerKey, expiresAt)));
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
