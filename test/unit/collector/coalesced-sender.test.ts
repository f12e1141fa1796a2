import { QueueFullError, coalescedSender } from '../../../services/collector/coalesced-sender';
import type { OutgoingMessage } from '../../../services/common/kafka/producer';

const msg = (key: string, bytes = 10): OutgoingMessage => ({ topic: 't', key, value: Buffer.alloc(bytes) });

function controllableSender() {
  const sends: { keys: string[]; settle: (err?: Error) => void }[] = [];
  return {
    sends,
    sender: {
      send: (messages: OutgoingMessage[]) =>
        new Promise<void>((resolve, reject) => {
          sends.push({
            keys: messages.map((m) => String(m.key)),
            settle: (err) => (err ? reject(err) : resolve()),
          });
        }),
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('coalescedSender', () => {
  it('sends alone when idle, then combines what queued behind the send in flight', async () => {
    const { sends, sender } = controllableSender();
    const s = coalescedSender(sender);
    const done: string[] = [];
    const a = s.send([msg('a')]).then(() => done.push('a'));
    const b = s.send([msg('b1'), msg('b2')]).then(() => done.push('b'));
    const c = s.send([msg('c')]).then(() => done.push('c'));
    await tick();
    expect(sends.map((x) => x.keys)).toEqual([['a']]);
    sends[0]?.settle();
    await a;
    await tick();
    expect(done).toEqual(['a']);
    expect(sends[1]?.keys).toEqual(['b1', 'b2', 'c']);
    sends[1]?.settle();
    await Promise.all([b, c]);
    expect(done).toEqual(['a', 'b', 'c']);
  });

  it('resolves nobody before the send holding their messages is acknowledged', async () => {
    const { sends, sender } = controllableSender();
    const s = coalescedSender(sender);
    let resolved = false;
    void s.send([msg('a')]).then(() => (resolved = true));
    await tick();
    expect(resolved).toBe(false);
    sends[0]?.settle();
    await tick();
    expect(resolved).toBe(true);
  });

  it('fails the send in flight and everything queued when Kafka fails', async () => {
    const { sends, sender } = controllableSender();
    const s = coalescedSender(sender);
    const a = s.send([msg('a')]);
    const b = s.send([msg('b')]);
    await tick();
    sends[0]?.settle(new Error('kafka down'));
    await expect(a).rejects.toThrow('kafka down');
    await expect(b).rejects.toThrow('kafka down');
    expect(sends).toHaveLength(1);
    // The next caller starts a fresh send.
    const c = s.send([msg('c')]);
    await tick();
    sends[1]?.settle();
    await expect(c).resolves.toBeUndefined();
  });

  it('caps a combined send by bytes but always sends one caller whole', async () => {
    const { sends, sender } = controllableSender();
    const s = coalescedSender(sender, { maxSendBytes: 100 });
    void s.send([msg('first')]);
    void s.send([msg('big1', 80), msg('big2', 80)]);
    void s.send([msg('small', 10)]);
    await tick();
    sends[0]?.settle();
    await tick();
    expect(sends[1]?.keys).toEqual(['big1', 'big2']);
    sends[1]?.settle();
    await tick();
    expect(sends[2]?.keys).toEqual(['small']);
  });

  it('refuses a call when the queue behind the send in flight would pass its bound, then takes calls again', async () => {
    const { sends, sender } = controllableSender();
    const s = coalescedSender(sender, { maxQueuedBytes: 100 });
    const inFlight = s.send([msg('a', 500)]);
    await tick();
    const queued = s.send([msg('b', 60)]);
    const refused = s.send([msg('c', 50)]);
    await expect(refused).rejects.toThrow(QueueFullError);
    await expect(refused).rejects.toThrow('bytes already wait for Kafka (bound 100)');
    expect(sends).toHaveLength(1);
    sends[0]?.settle();
    await inFlight;
    await tick();
    expect(sends[1]?.keys).toEqual(['b']);
    // The queue drained into the send in flight: there is room again.
    const later = s.send([msg('d', 90)]);
    sends[1]?.settle();
    await queued;
    await tick();
    expect(sends[2]?.keys).toEqual(['d']);
    sends[2]?.settle();
    await expect(later).resolves.toBeUndefined();
  });

  it('always takes a call into an empty queue, however large', async () => {
    const { sends, sender } = controllableSender();
    const s = coalescedSender(sender, { maxQueuedBytes: 10 });
    const first = s.send([msg('a')]);
    await tick();
    const big = s.send([msg('big', 1000)]);
    await tick();
    sends[0]?.settle();
    await first;
    await tick();
    expect(sends[1]?.keys).toEqual(['big']);
    sends[1]?.settle();
    await expect(big).resolves.toBeUndefined();
  });

  it('frees the queue when Kafka fails everything in it', async () => {
    const { sends, sender } = controllableSender();
    const s = coalescedSender(sender, { maxQueuedBytes: 100 });
    const a = s.send([msg('a')]);
    const b = s.send([msg('b', 90)]);
    await tick();
    sends[0]?.settle(new Error('kafka down'));
    await expect(a).rejects.toThrow('kafka down');
    await expect(b).rejects.toThrow('kafka down');
    const c = s.send([msg('c', 90)]);
    const d = s.send([msg('d', 50)]);
    const e = s.send([msg('e', 40)]);
    await tick();
    sends[1]?.settle();
    await c;
    await tick();
    expect(sends[2]?.keys).toEqual(['d', 'e']);
    sends[2]?.settle();
    await expect(Promise.all([d, e])).resolves.toBeDefined();
  });
});
