import { coalescedSender } from '../../../services/collector/coalesced-sender';
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
    const s = coalescedSender(sender, 100);
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
});
