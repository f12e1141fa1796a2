// Which stored outcomes the after-send step releases: those of the acknowledged chunk only.
import { PendingOutcomes } from '../../../services/identity-resolver/pending-outcomes';

const at = (offset: number, partition = 0) => ({ topic: 'raw', partition, offset: String(offset) });

describe('PendingOutcomes', () => {
  it('releases the outcomes of the acknowledged messages, in one call, and forgets them', async () => {
    const calls: string[][] = [];
    const pending = new PendingOutcomes(async (keys) => {
      calls.push(keys);
    });
    pending.note(at(1), 'k1');
    pending.note(at(2), 'k2');
    pending.note(at(2, 1), 'other-partition');
    await pending.release([at(1), at(2), at(3)]);
    expect(calls).toEqual([['k1', 'k2']]);
    expect(pending.size).toBe(1);
    await pending.release([at(1), at(2)]);
    expect(calls).toHaveLength(1);
  });

  it('keeps one entry per record when a chunk is redelivered', () => {
    const pending = new PendingOutcomes(async () => undefined);
    pending.note(at(7), 'k7');
    pending.note(at(7), 'k7');
    expect(pending.size).toBe(1);
  });
});
