// The raw record's zod type is where every event rule is checked, once: what the event model
// requires, JSON fields that are objects, and lone surrogates repaired. Whatever else a producer
// wrote in a JSON field passes on byte for byte.
import { rawEventRecordSchema, type RawEventRecord } from '../../../services/common/events/event-record';
import { toWellFormedJsonText } from '../../../services/common/events/well-formed-json';

const base: RawEventRecord = {
  messageId: 'm-1',
  type: 'track',
  tenant: 'demo',
  userId: 'u-1',
  anonymousId: null,
  previousId: null,
  event: 'Order Completed',
  name: null,
  groupId: null,
  traits: null,
  properties: '{ "total": 1.50, "currency": "EUR" }',
  context: '{"ip":"203.0.113.7"}',
  integrations: null,
  timestamp: Date.parse('2024-05-01T10:00:00Z'),
  sentAt: null,
  originalTimestamp: null,
  receivedAt: Date.parse('2024-05-01T10:00:01Z'),
};

function issues(overrides: Partial<Record<keyof RawEventRecord, unknown>>): string[] {
  const parsed = rawEventRecordSchema.safeParse({ ...base, ...overrides });
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('the raw record schema', () => {
  it('passes a valid record through, JSON text as it was written', () => {
    expect(rawEventRecordSchema.parse(base)).toEqual(base);
  });

  it.each([
    [{ properties: '[1,2]' }, 'properties: is not a JSON object'],
    [{ context: '{' }, 'context: is not valid JSON'],
    [{ traits: 'null' }, 'traits: is not a JSON object'],
    [{ userId: '' }, 'userId: Too small'],
    [{ messageId: 'x'.repeat(101) }, 'messageId: Too big'],
    [{ event: null }, 'event: track requires event'],
    [{ userId: null }, 'userId: track requires userId or anonymousId'],
    [{ type: 'alias', previousId: null }, 'previousId: alias requires previousId'],
    [{ timestamp: 9e15 }, 'timestamp: must be an instant before year 10000'],
  ])('refuses %j', (overrides, expected) => {
    expect(issues(overrides).join('; ')).toContain(expected);
  });

  it('rewrites a JSON field only when it spells a lone surrogate', () => {
    const parsed = rawEventRecordSchema.parse({
      ...base,
      properties: '{"k": "\\ud800", "ok": "\\ud83d\\ude00"}',
    });
    expect(parsed.properties).toBe('{"k":"\ufffd","ok":"\ud83d\ude00"}');
    expect(JSON.parse(parsed.properties!)).toEqual({ k: '\ufffd', ok: '😀' });
  });
});

describe('toWellFormedJsonText', () => {
  it('returns the same text when nothing needs repair, a surrogate pair or an escaped backslash included', () => {
    for (const text of ['{ "a" : 1 }', '{"e":"\\ud83d\\ude00"}', '{"s":"\\\\ud800"}', '{"x":"😀"}']) {
      expect(toWellFormedJsonText(text)).toBe(text);
    }
  });

  it('repairs escaped and raw lone surrogates, keys included', () => {
    expect(toWellFormedJsonText('{"\\udc00":"\\ud800"}')).toBe('{"\ufffd":"\ufffd"}');
    expect(toWellFormedJsonText('{"k":"\ud800"}')).toBe('{"k":"\ufffd"}');
  });

  it('leaves text that is not JSON to the parser that reports it', () => {
    expect(toWellFormedJsonText('{"k":"\\ud800"')).toBe('{"k":"\\ud800"');
  });
});
