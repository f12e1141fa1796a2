// Segment-spec validation of one message: every rejection reason, the lenient readings, skew.
import { normalizeMessage, type MessageContext } from '../../../services/common/events/normalize-message';
import type { EventIssue } from '../../../services/common/events/event-issues';

const receivedAt = Date.parse('2024-05-01T12:00:10.000Z');
const ctx = (over: Partial<MessageContext> = {}): MessageContext => ({
  tenant: 'demo',
  receivedAt,
  newMessageId: () => 'generated-id',
  ...over,
});

function issues(input: unknown, over: Partial<MessageContext> = {}): Pick<EventIssue, 'reason' | 'field'>[] {
  const out = normalizeMessage(input, ctx(over));
  if (out.ok) throw new Error(`expected a rejection, got ${JSON.stringify(out.event)}`);
  return out.issues.map(({ reason, field }) => ({ reason, field }));
}

function accept(input: unknown, over: Partial<MessageContext> = {}) {
  const out = normalizeMessage(input, ctx(over));
  if (!out.ok) throw new Error(`expected acceptance, got ${JSON.stringify(out.issues)}`);
  return out.event;
}

describe('normalizeMessage: accepted events', () => {
  it('builds an identify event with tenant, generated messageId and receivedAt', () => {
    const e = accept({ userId: 'u1', traits: { email: 'a@b.c' } }, { routeType: 'identify' });
    expect(e).toEqual({
      messageId: 'generated-id',
      type: 'identify',
      tenant: 'demo',
      userId: 'u1',
      traits: { email: 'a@b.c' },
      timestamp: '2024-05-01T12:00:10.000Z',
      receivedAt: '2024-05-01T12:00:10.000Z',
    });
  });

  it('keeps a given messageId and corrects the timestamp for clock skew', () => {
    const e = accept(
      {
        type: 'track',
        messageId: 'm-1',
        anonymousId: 'a1',
        event: 'Clicked',
        timestamp: '2024-05-01T13:00:00.000Z',
        sentAt: '2024-05-01T13:00:05.000Z',
      },
      {},
    );
    expect(e.messageId).toBe('m-1');
    expect(e.timestamp).toBe('2024-05-01T12:00:05.000Z');
    expect(e.originalTimestamp).toBe('2024-05-01T13:00:00.000Z');
    expect(e.sentAt).toBe('2024-05-01T13:00:05.000Z');
  });

  it("takes RudderStack's originalTimestamp and the batch's sentAt", () => {
    const e = accept(
      { type: 'page', userId: 'u1', originalTimestamp: '2024-05-01T11:00:00.000Z' },
      { batchSentAt: '2024-05-01T11:00:09.000Z' },
    );
    expect(e.timestamp).toBe('2024-05-01T12:00:01.000Z');
  });

  it('uses the route type over a type in the body', () => {
    expect(accept({ type: 'identify', userId: 'u1', event: 'x' }, { routeType: 'track' }).type).toBe('track');
  });

  it('reads numeric ids as strings and empty strings and nulls as absent', () => {
    const e = accept({ type: 'identify', userId: 42, anonymousId: '', traits: null });
    expect(e.userId).toBe('42');
    expect(e).not.toHaveProperty('anonymousId');
    expect(e).not.toHaveProperty('traits');
  });

  it('merges the batch context under the message context', () => {
    const e = accept(
      { type: 'track', userId: 'u1', event: 'x', context: { ip: '1.2.3.4' } },
      { batchContext: { ip: '9.9.9.9', library: { name: 'sdk' } } },
    );
    expect(e.context).toEqual({ ip: '1.2.3.4', library: { name: 'sdk' } });
  });

  it.each([
    ['screen', { type: 'screen', anonymousId: 'a1' }],
    ['group', { type: 'group', userId: 'u1', groupId: 'g1', traits: { plan: 'pro' } }],
    ['alias', { type: 'alias', userId: 'u1', previousId: 'a1' }],
    ['page without name', { type: 'page', anonymousId: 'a1', properties: { url: 'https://x' } }],
  ])('accepts %s', (_, input) => {
    expect(accept(input).type).toBe((input as { type: string }).type);
  });
});

describe('normalizeMessage: rejection reasons', () => {
  it('not_an_object', () => {
    expect(issues([1, 2])).toEqual([{ reason: 'not_an_object', field: '' }]);
    expect(issues('track')).toEqual([{ reason: 'not_an_object', field: '' }]);
  });

  it('invalid_type: missing or unknown type in a batch message', () => {
    expect(issues({ userId: 'u1' })).toEqual([{ reason: 'invalid_type', field: 'type' }]);
    expect(issues({ type: 'purchase', userId: 'u1' })).toEqual([{ reason: 'invalid_type', field: 'type' }]);
  });

  it('missing_identity: neither userId nor anonymousId', () => {
    expect(issues({ type: 'identify', traits: {} })).toEqual([
      { reason: 'missing_identity', field: 'userId' },
    ]);
  });

  it('missing_user_id and missing_previous_id: alias', () => {
    expect(issues({ type: 'alias', anonymousId: 'a1' })).toEqual([
      { reason: 'missing_user_id', field: 'userId' },
      { reason: 'missing_previous_id', field: 'previousId' },
    ]);
  });

  it('missing_event: track without event', () => {
    expect(issues({ type: 'track', userId: 'u1', event: '' })).toEqual([
      { reason: 'missing_event', field: 'event' },
    ]);
  });

  it('missing_group_id: group without groupId', () => {
    expect(issues({ type: 'group', userId: 'u1' })).toEqual([
      { reason: 'missing_group_id', field: 'groupId' },
    ]);
  });

  it('message_id_too_long: over 100 characters', () => {
    expect(issues({ type: 'identify', userId: 'u1', messageId: 'x'.repeat(101) })).toEqual([
      { reason: 'message_id_too_long', field: 'messageId' },
    ]);
    expect(accept({ type: 'identify', userId: 'u1', messageId: 'x'.repeat(100) }).messageId).toHaveLength(
      100,
    );
  });

  it('invalid_timestamp: unparseable timestamp, originalTimestamp, sentAt or batch sentAt', () => {
    expect(issues({ type: 'identify', userId: 'u1', timestamp: 'yesterday' })).toEqual([
      { reason: 'invalid_timestamp', field: 'timestamp' },
    ]);
    expect(issues({ type: 'identify', userId: 'u1', originalTimestamp: 12 })).toEqual([
      { reason: 'invalid_timestamp', field: 'originalTimestamp' },
    ]);
    expect(issues({ type: 'identify', userId: 'u1', sentAt: '2024-02-30T00:00:00Z' })).toEqual([
      { reason: 'invalid_timestamp', field: 'sentAt' },
    ]);
    expect(issues({ type: 'identify', userId: 'u1' }, { batchSentAt: 'soon' })).toEqual([
      { reason: 'invalid_timestamp', field: 'batch.sentAt' },
    ]);
  });

  it('invalid_timestamp: a skew correction that leaves the representable range', () => {
    expect(
      issues({
        type: 'identify',
        userId: 'u1',
        timestamp: '0001-01-01T00:00:00Z',
        sentAt: '9999-01-01T00:00:00Z',
      }),
    ).toEqual([{ reason: 'invalid_timestamp', field: 'timestamp' }]);
  });

  it('invalid_field: wrong JSON types, all reported at once', () => {
    expect(
      issues({
        type: 'track',
        userId: { id: 1 },
        event: 7,
        properties: [1],
        context: 'ctx',
        traits: true,
        integrations: 3,
        messageId: 5,
      }),
    ).toEqual([
      { reason: 'invalid_field', field: 'messageId' },
      { reason: 'invalid_field', field: 'userId' },
      { reason: 'invalid_field', field: 'event' },
      { reason: 'invalid_field', field: 'traits' },
      { reason: 'invalid_field', field: 'properties' },
      { reason: 'invalid_field', field: 'context' },
      { reason: 'invalid_field', field: 'integrations' },
    ]);
  });

  it('every issue carries a human-readable message', () => {
    const out = normalizeMessage({ type: 'group', anonymousId: 'a' }, ctx());
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.issues[0]?.message).toBe('group requires groupId');
  });
});
