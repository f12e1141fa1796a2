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
  private loop?: Promise<void>;
  private failures = 0;

  constructor(private readonly o: PumpOptions) {}

  start(): void {
    this.loop = this.run();
  }

  wake(): void {
    this.wakeUp();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp();
    await this.loop;
  }

  /** Fires every due timer of a tenant; returns how many transitions it made. */
  async fireDue(tenant: string): Promise<number> {
    const { store, engine } = this.o;
    const concurrency = this.o.concurrency ?? 64;
    let fired = 0;
    for (;;) {
      const due = await store.dueTimers(tenant, Date.now(), 2000);
      if (due.length === 0 || this.stopped) return fired;
      let next = 0;
      const worker = async () => {
        while (next < due.length && !this.stopped) {
          const t = due[next++]!;
          const r = await engine.fireTimer(tenant, t.member, t.due);
          if (r === 'applied') {
            fired++;
            this.o.onFired?.(tenant, t.due, Date.now());
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
      await drainActions(this.o.outbox, tenant);
    }
  }

  async tick(): Promise<void> {
    for (const tenant of this.o.tenants()) {
      await this.fireDue(tenant);
      await drainActions(this.o.outbox, tenant);
      await drainStepLog(this.o.outbox, tenant);
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.tick();
        this.failures = 0;
      } catch (err) {
        // Redis, Kafka or ClickHouse away: nothing is lost (all of it waits in Redis); try again.
        this.failures++;
        this.o.logger.warn({ err, failures: this.failures }, 'journey pump tick failed; retrying');
      }
      const wait = this.failures > 0 ? Math.min(5000, 100 * 2 ** this.failures) : (this.o.tickMs ?? 100);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
