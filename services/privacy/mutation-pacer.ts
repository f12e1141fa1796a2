// Spaces the privacy service's ClickHouse mutations so they run at most `duty` of the time. A
// mutation rewrites whole parts of its table (on 18.16 every part), so a burst of them takes the
// server's disks and cores from the tenants sharing it; a deletion has a deadline of minutes, live
// traffic one of milliseconds. After a mutation that took t, the next starts no earlier than
// t x (1 / duty - 1) later: the pause grows with the table, as the cost does. Pure: the clock and
// the wait are given.
export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class MutationPacer {
  private nextAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly duty: number,
    private readonly clock: PacerClock = realClock,
  ) {
    if (!(duty > 0 && duty <= 1)) throw new Error(`mutation duty must be in (0, 1], got ${duty}`);
  }

  /** Runs `mutation` once the pause after the previous one is over; callers take turns already. */
  async run<T>(mutation: () => Promise<T>): Promise<T> {
    const wait = this.nextAt - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait);
    const started = this.clock.now();
    try {
      return await mutation();
    } finally {
      const ended = this.clock.now();
      this.nextAt = ended + (ended - started) * (1 / this.duty - 1);
    }
  }
}
