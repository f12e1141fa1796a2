import { splitBatch, splitSingle, type RequestContext } from '../../../services/collector/split-batch';

let n = 0;
const req: RequestContext = {
  tenant: 'demo',
  receivedAt: Date.parse('2024-05-01T12:00:10.000Z'),
  limits: { maxEventBytes: 1024, maxBatchBytes: 10_000 },
  newMessageId: () => `gen-${++n}`,
};

describe('splitBatch', () => {
  it('accepts the valid messages and rejects only the invalid ones, by index', () => {
    const out = splitBatch(
      {
        sentAt: '2024-05-01T12:00:09.000Z',
        batch: [
          { type: 'identify', userId: 'u1', messageId: 'm0', timestamp: '2024-05-01T12:00:00.000Z' },
          { type: 'track', userId: 'u1', messageId: 'm1' },
          { type: 'alias', userId: 'u1', previousId: 'a1', messageId: 'm2' },
          {
            type: 'track',
            userId: 'u1',
            event: 'x',
            properties: { blob: 'y'.repeat(2000) },
            messageId: 'm3',
          },
        ],
      },
      req,
    );
    if (out.kind !== 'events') throw new Error('expected events');
    expect(out.accepted.map((e) => e.messageId)).toEqual(['m0', 'm2']);
    // The batch-level sentAt corrects the skew of every message.
    expect(out.accepted[0]?.timestamp).toBe('2024-05-01T12:00:01.000Z');
    expect(out.rejected).toEqual([
      {
        index: 1,
        messageId: 'm1',
        issues: [{ reason: 'missing_event', field: 'event', message: 'track requires event' }],
      },
      {
        index: 3,
        messageId: 'm3',
        issues: [
          {
            reason: 'event_too_large',
            field: '',
            message: expect.stringMatching(/over the 1024-byte limit/),
          },
        ],
      },
    ]);
  });

  it('rejects a body that is not a batch as a whole', () => {
    expect(splitBatch([], req)).toEqual({
      kind: 'invalid-body',
      issues: [expect.objectContaining({ reason: 'not_an_object' })],
    });
    expect(splitBatch({ batch: [] }, req)).toEqual({
      kind: 'invalid-body',
      issues: [expect.objectContaining({ reason: 'invalid_field', field: 'batch' })],
    });
    expect(splitBatch({ batch: {} }, req).kind).toBe('invalid-body');
  });
});

describe('splitSingle', () => {
  it('types the message by its route', () => {
    const out = splitSingle({ userId: 'u1', event: 'Signed Up' }, 'track', req);
    expect(out.kind === 'events' && out.accepted[0]?.type).toBe('track');
  });

  it('reports an invalid single message at index 0', () => {
    const out = splitSingle({ userId: 'u1' }, 'group', req);
    expect(out.kind === 'events' && out.rejected[0]?.index).toBe(0);
  });
});
