import { Clock } from '../../src/domain/ports/clock.port';

/** A Clock that moves only when a test moves it. */
export class FakeClock extends Clock {
  private time: number;

  constructor(start: Date = new Date()) {
    super();
    this.time = start.getTime();
  }

  now(): Date {
    return new Date(this.time);
  }

  set(to: Date): void {
    this.time = to.getTime();
  }

  advance(ms: number): void {
    this.time += ms;
  }
}
