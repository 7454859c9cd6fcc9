/** CLAIM_CODE_TTL_HOURS and CLAIM_ATTEMPTS_PER_HOUR, as the enrolment use cases need them. */
export class ClaimSettings {
  constructor(
    /** How long a claim code stays valid after it is issued. */
    readonly codeTtlHours: number,
    /** Failed claims one client address may make in any sliding hour. */
    readonly attemptsPerHour: number,
  ) {}
}
