import type { Clock } from '../../src/core/ports';

/** Time stands still within a step; the test moves it on between steps (no sleeps). */
export class SteppedClock implements Clock {
  private at: number;
  constructor(start: Date | number) {
    this.at = typeof start === 'number' ? start : start.getTime();
  }
  now(): Date {
    return new Date(this.at);
  }
  advance(ms: number): void {
    this.at += ms;
  }
}
