import { Clock } from '../../domain/ports/clock.port';

/** Wall-clock time from the host. */
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
