// The sender's order, backpressure and retries, with an in-memory Kafka stand-in (the real producer
// is exercised by test/integration/import/).
import type { RecordEncoder } from '../../../services/common/codec/avro-codec';
import type { CdpEvent } from '../../../services/common/events/event-model';
import type { OutgoingMessage } from '../../../services/common/kafka/producer';
import { rawEventSender } from '../../../services/import/raw-event-sender';

const codec: RecordEncoder = {
  encodeRecord: async (_stream, record) => Buffer.from(JSON.stringify(record)),
  recordEncoder: async () => (record) => Buffer.from(JSON.stringify(record)),
};

function event(n: number): CdpEvent {
  const at = '2024-01-01T00:00:00.000Z';
  return {
    messageId: `m${n}`,
    type: 'identify',
    tenant: 'demo',
    userId: `u${n}`,
    timestamp: at,
    receivedAt: at,
  };
}

/** Sends wait until released, one at a time like the idempotent producer. */
function heldSender() {
  const sent: string[][] = [];
  const waiting: (() => void)[] = [];
  let failures = 0;
  return {
    sent,
    waiting,
    failNext(n: number) {
      failures = n;
    },
    send(messages: OutgoingMessage[]) {
      return new Promise<void>((resolve, reject) => {
        waiting.push(() => {
          if (failures > 0) {
            failures -= 1;
            reject(new Error('broker down'));
            return;
          }
          sent.push(messages.map((m) => String(m.key)));
          resolve();
        });
      });
    },
    release() {
      waiting.shift()?.();
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('rawEventSender', () => {
  it('sends batches in order, keyed like the collector, and makes add wait once 2 are pending', async () => {
    const producer = heldSender();
    let acked = 0;
    const sender = rawEventSender({
      codec,
      producer,
      topic: 't',
      maxQueuedBatches: 2,
      onAcknowledged: (n) => (acked += n),
    });
    await sender.add([event(1), event(2)]);
    let third = false;
    const adding = sender.add([event(3)]).then(() => (third = true));
    await tick();
    expect(third).toBe(false);
    producer.release();
    await adding;
    expect(third).toBe(true);
    await tick();
    producer.release();
    await sender.flush();
    expect(producer.sent).toEqual([['demo:user_id:u1', 'demo:user_id:u2'], ['demo:user_id:u3']]);
    expect(acked).toBe(3);
  });

  it('retries a refused batch, then fails the import with the reason', async () => {
    const producer = heldSender();
    const sender = rawEventSender({
      codec,
      producer,
      topic: 't',
      attempts: 2,
      retryDelayMs: 1,
      onAcknowledged: () => undefined,
    });
    producer.failNext(1);
    await sender.add([event(1)]);
    for (let i = 0; i < 2; i++) {
      while (producer.waiting.length === 0) await tick();
      producer.release();
    }
    await sender.flush();
    expect(producer.sent).toEqual([['demo:user_id:u1']]);

    producer.failNext(2);
    await sender.add([event(2)]);
    for (let i = 0; i < 2; i++) {
      while (producer.waiting.length === 0) await tick();
      producer.release();
    }
    await expect(sender.flush()).rejects.toThrow(
      'Kafka did not acknowledge 1 events after 2 attempts: broker down',
    );
    await expect(sender.add([event(3)])).rejects.toThrow(/did not acknowledge/);
  });
});
