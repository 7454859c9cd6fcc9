import { FakeClock } from '../../test/fakes/fake-clock';
import { consentInForce } from './consent';

const SECOND_MS = 1000;

describe('consentInForce', () => {
  const expiresAt = new Date('2026-05-01T12:00:00Z');
  const clock = new FakeClock();

  it.each([
    { when: 'one second before the expiry', offsetMs: -SECOND_MS, inForce: true },
    { when: 'at the expiry', offsetMs: 0, inForce: false },
    { when: 'one second after the expiry', offsetMs: SECOND_MS, inForce: false },
  ])('#11.14 $when: in force = $inForce', ({ offsetMs, inForce }) => {
    clock.set(new Date(expiresAt.getTime() + offsetMs));
    expect(consentInForce({ expiresAt }, clock.now())).toBe(inForce);
  });

  it('#11.14 a consent without an expiry stays in force', () => {
    clock.set(new Date('2999-01-01T00:00:00Z'));
    expect(consentInForce({ expiresAt: null }, clock.now())).toBe(true);
  });
});
