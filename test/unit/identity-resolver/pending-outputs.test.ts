// What the after-send step reads and releases: the acknowledged chunk's records only.
import { PendingOutputs } from '../../../services/identity-resolver/pending-outputs';

const at = (offset: number, partition = 0) => ({ topic: 'raw', partition, offset: String(offset) });
const snap = (profileId: string, version: number | null) => ({ tenant: 't', profileId, version });

describe('PendingOutputs', () => {
  it("reads the chunk's outcome keys and snapshots in record order, and releases only that chunk", () => {
    const pending = new PendingOutputs();
    pending.note(at(1), { outcomeKey: 'k1', snapshots: [snap('p1', 3)] });
    pending.note(at(2), { outcomeKey: 'k2', snapshots: [snap('p2', 1), snap('p9', null)] });
    pending.note(at(2, 1), { outcomeKey: 'other-partition', snapshots: [] });
    pending.note(at(4), { snapshots: [snap('p4', 2)] });
    expect(pending.of([at(1), at(2), at(3), at(4)])).toEqual({
      outcomeKeys: ['k1', 'k2'],
      snapshots: [snap('p1', 3), snap('p2', 1), snap('p9', null), snap('p4', 2)],
    });
    // Reading does not release: a failed after-send step is retried with the same entries.
    expect(pending.size).toBe(4);
    pending.release([at(1), at(2), at(3), at(4)]);
    expect(pending.size).toBe(1);
    expect(pending.of([at(1), at(2)])).toEqual({ outcomeKeys: [], snapshots: [] });
  });

  it('keeps one entry per record when a chunk is redelivered', () => {
    const pending = new PendingOutputs();
    pending.note(at(7), { outcomeKey: 'k7', snapshots: [snap('p', 1)] });
    pending.note(at(7), { outcomeKey: 'k7', snapshots: [snap('p', 1)] });
    expect(pending.size).toBe(1);
    expect(pending.of([at(7)]).snapshots).toHaveLength(1);
  });
});
