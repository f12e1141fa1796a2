// Delivers one destination's queue. Each destination of each tenant has its own worker with its
// own slots, so a destination that hangs holds only its own slots (and its own Redis keys): the
// others never wait for it. A slot claims due profiles, sends their head deliveries in one
// request, then pops them (delivered, or dead-lettered) or parks the profiles until their backoff
// ends; a parked profile's later deliveries wait behind it, other profiles go on.
import type { Destination } from '../common/definitions/kinds/destination';
import { maxAgeMs } from '../common/definitions/kinds/destination';
import type { Logger } from '../common/logger';
import type { DeliveryDecisionRecord, DestinationDeadLetterRecord } from '../common/streams/activation';
import { retryDelayMs, type BackoffSettings } from './backoff';
import type { DecisionLog } from './decision-log';
import type { QueuedDelivery } from './delivery';
import type { ClaimedProfile, DeliveryQueue } from './delivery-queue';
import { decisionRow } from './decision-log';
import { send, type Answer, type TransportDeps } from './transports';

export interface WorkerSettings {
  /** Requests in flight per destination. */
  concurrency: number;
  /** Wait when nothing is due. */
  pollMs: number;
  backoff: BackoffSettings;
  /** A claim's lease is the request timeout plus this; a dead worker's profiles come back after it. */
  leaseMarginMs: number;
}

export interface WorkerDeps extends TransportDeps {
  queue: DeliveryQueue;
  log: DecisionLog;
  logger: Logger;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function batchSizeOf(destination: Destination): number {
  return destination.batch_size;
}

function timeoutOf(destination: Destination): number {
  return destination.type === 'kafka' ? 30_000 : destination.timeout_ms;
}

export class DestinationWorker {
  private running = false;
  private slots: Promise<void>[] = [];

  constructor(
    private readonly tenant: string,
    private destination: Destination,
    private readonly deps: WorkerDeps,
    private readonly settings: WorkerSettings,
  ) {}

  /** A new version of the definition applies from the next request on. */
  update(destination: Destination): void {
    this.destination = destination;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.settings.concurrency; i++) this.slots.push(this.slot());
  }

  /** Ends after the requests in flight; what is unsettled stays leased and comes back when the lease ends. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.slots.splice(0));
  }

  private async slot(): Promise<void> {
    while (this.running) {
      try {
        const worked = await this.once();
        if (!worked) await sleep(this.settings.pollMs);
      } catch (err) {
        // Redis or Kafka unavailable: what was claimed stays leased and comes back; try again soon.
        this.deps.logger.warn(
          { err, tenant: this.tenant, destination: this.destination.id },
          'delivery step failed; retrying',
        );
        await sleep(Math.max(this.settings.pollMs, 500));
      }
    }
  }

  /** One claim and one request; false when nothing was due. */
  async once(): Promise<boolean> {
    const destination = this.destination;
    const batchSize = batchSizeOf(destination);
    const now = Date.now();
    const claimed = await this.deps.queue.claim(this.tenant, destination.id, {
      now,
      // Longer than any request can take, so a live worker settles before another may claim.
      leaseMs: timeoutOf(destination) + this.settings.leaseMarginMs,
      profiles: batchSize,
      itemsPerProfile: batchSize,
    });
    if (claimed.length === 0) return false;

    // Fill the request profile by profile, each profile's deliveries in order.
    const included: { profile: ClaimedProfile; deliveries: QueuedDelivery[] }[] = [];
    let room = batchSize;
    const released: Promise<void>[] = [];
    for (const profile of claimed) {
      if (room === 0) {
        released.push(this.deps.queue.release(this.tenant, destination.id, profile.profileId));
        continue;
      }
      const deliveries = profile.deliveries.slice(0, room);
      room -= deliveries.length;
      included.push({ profile, deliveries });
    }
    await Promise.all(released);
    const all = included.flatMap((i) => i.deliveries);
    const answer = await send(destination, all, this.deps);
    await this.settle(destination, included, answer);
    return true;
  }

  private async settle(
    destination: Destination,
    included: { profile: ClaimedProfile; deliveries: QueuedDelivery[] }[],
    answer: Answer,
  ): Promise<void> {
    const now = Date.now();
    const rows: DeliveryDecisionRecord[] = [];
    const dead: DestinationDeadLetterRecord[] = [];
    const pops: { profileId: string; ids: string[] }[] = [];
    const parks: { profileId: string; headId: string; dueAt: number }[] = [];
    const maxAge = maxAgeMs(destination);

    for (const { profile, deliveries } of included) {
      const attemptOf = (i: number) => (i === 0 ? profile.attempts + 1 : 1);
      const common = { httpStatus: answer.status, now };
      if (answer.kind === 'delivered') {
        deliveries.forEach((d, i) =>
          rows.push(decisionRow(d, 'delivered', { ...common, attempt: attemptOf(i), reason: '' })),
        );
        pops.push({ profileId: profile.profileId, ids: deliveries.map((d) => d.id) });
        continue;
      }
      // Refused for good, or retried past the max age: a dead letter with the last answer.
      const expired =
        answer.kind === 'refused' ? deliveries : deliveries.filter((d) => now - d.createdAt >= maxAge);
      if (expired.length > 0 && expired[0] === deliveries[0]) {
        const giveUp = answer.kind === 'refused' ? deliveries : expired;
        giveUp.forEach((d, i) => {
          const reason =
            answer.kind === 'refused'
              ? answer.answer
              : `max age ${destination.max_age} passed; last answer ${answer.answer}`;
          rows.push(decisionRow(d, 'dead_lettered', { ...common, attempt: attemptOf(i), reason }));
          dead.push({
            tenant: d.tenant,
            destinationId: d.destinationId,
            profileId: d.profileId,
            idempotencyId: d.id,
            sourceId: d.sourceId,
            delivery: JSON.stringify(d),
            lastAnswer: answer.answer,
            attempts: attemptOf(i),
            deadAt: now,
          });
        });
        pops.push({ profileId: profile.profileId, ids: giveUp.map((d) => d.id) });
        continue;
      }
      const head = deliveries[0]!;
      const delay = retryDelayMs(
        profile.attempts + 1,
        answer.kind === 'retry' ? answer.retryAfterMs : undefined,
        this.settings.backoff,
      );
      rows.push(decisionRow(head, 'retried', { ...common, attempt: attemptOf(0), reason: answer.answer }));
      parks.push({ profileId: profile.profileId, headId: head.id, dueAt: now + delay });
    }
    // The decisions are written before the queue moves: a crash in between repeats a row, never loses one.
    await this.deps.log.write(rows, dead);
    // Different profiles: issued together, one round trip.
    await Promise.all([
      ...pops.map((p) => this.deps.queue.pop(this.tenant, destination.id, p.profileId, p.ids)),
      ...parks.map((p) => this.deps.queue.park(this.tenant, destination.id, p.profileId, p.headId, p.dueAt)),
    ]);
  }
}
