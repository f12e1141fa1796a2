// The engine's clock: every tick it fires the timers that fell due (at once after a restart for those
// that fell due while it was down) and sends what transitions queued (outbox-drain.ts). Woken early
// when a Kafka input changed state, so an action does not wait for the next tick.
import type { Logger } from '../common/logger';
import type { JourneyEngine } from './journey-engine';
import type { JourneyStateStore } from './journey-state-store';
import { drainActions, drainStepLog, type OutboxTargets } from './outbox-drain';

export interface PumpOptions {
  engine: JourneyEngine;
  store: JourneyStateStore;
  outbox: OutboxTargets;
  tenants(): string[];
  logger: Logger;
  tickMs?: number;
  /** Timers fired at once. */
  concurrency?: number;
  /** Each fired timer's due time and when its transition committed (the bench's lateness). */
  onFired?: (tenant: string, due: number, firedAt: number) => void;
}

export class JourneyPump {
  private stopped = false;
  private wakeUp: () => void = () => undefined;
  private wakeOutbox: () => void = () => undefined;
  private loop?: Promise<void>;

  constructor(private readonly o: PumpOptions) {}

  start(): void {
    this.loop = this.run();
  }

  /** A Kafka input changed state: fire and send now rather than at the next tick. */
  wake(): void {
    this.wakeUp();
    this.wakeOutbox();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
  }

  /** Fires every due timer of a tenant; returns how many transitions it made. */
  async fireDue(tenant: string): Promise<number> {
    const { store, engine } = this.o;
    const concurrency = this.o.concurrency ?? 64;
    let fired = 0;
    const failed = new Set<string>();
    for (;;) {
      const due = (await store.dueTimers(tenant, Date.now(), 2000 + failed.size)).filter(
        (t) => !failed.has(t.member),
      );
      if (due.length === 0 || this.stopped) return fired;
      let next = 0;
      const worker = async () => {
        while (next < due.length && !this.stopped) {
          const t = due[next++]!;
          try {
            const r = await engine.fireTimer(tenant, t.member, t.due);
            if (r === 'applied') {
              fired++;
              this.o.onFired?.(tenant, t.due, Date.now());
            }
          } catch (err) {
            // One timer that cannot fire (Redis away, a damaged slot) must not hold back the others:
            // it stays set and is tried again next tick.
            failed.add(t.member);
            this.o.logger.error(
              { err, tenant, timer: t.member },
              'journey timer failed; tried again next tick',
            );
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
      this.wakeOutbox();
    }
  }

  /** Fires due timers of every tenant. */
  async tick(): Promise<void> {
    for (const tenant of this.o.tenants()) await this.fireDue(tenant);
  }

  /** Sends what transitions queued, for every tenant. */
  async drain(): Promise<void> {
    for (const tenant of this.o.tenants()) {
      await drainActions(this.o.outbox, tenant);
      await drainStepLog(this.o.outbox, tenant);
    }
  }

  private async run(): Promise<void> {
    // Two loops: sending the outbox to Kafka never holds back a timer that falls due meanwhile.
    await Promise.all([
      this.repeat(
        'timers',
        () => this.tick(),
        (w) => (this.wakeUp = w),
      ),
      this.repeat(
        'outbox',
        () => this.drain(),
        (w) => (this.wakeOutbox = w),
      ),
    ]);
  }

  private async repeat(
    name: string,
    work: () => Promise<void>,
    setWake: (wake: () => void) => void,
  ): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await work();
        failures = 0;
      } catch (err) {
        // Redis, Kafka or ClickHouse away: nothing is lost (all of it waits in Redis); try again.
        failures++;
        this.o.logger.warn({ err, loop: name, failures }, 'journey pump failed; retrying');
      }
      const wait = failures > 0 ? Math.min(5000, 100 * 2 ** failures) : (this.o.tickMs ?? 100);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        setWake(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
