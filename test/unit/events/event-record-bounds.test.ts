// A raw record from any producer: values the model cannot hold are poison (EventRecordError, sent
// to the DLQ by the runner), never a RangeError or a stack overflow that would be retried.
import { RecordContractError, type RecordDecoder } from '../../../services/common/codec/avro-codec';
import { decodeRawEvent } from '../../../services/common/events/decode-event';
import { cdpEventSchema } from '../../../services/common/events/event-model';
import {
  EventRecordError,
  fromRawEventRecord,
  toRawEventRecord,
  type RawEventRecord,
} from '../../../services/common/events/event-record';
import { MAX_JSON_DEPTH } from '../../../services/common/events/json-depth';
import { rawEvents } from '../../../services/common/streams/raw-events';

function record(overrides: Partial<RawEventRecord> = {}): RawEventRecord {
  const event = cdpEventSchema.parse({
    messageId: 'm-1',
    type: 'identify',
    tenant: 'demo',
    userId: 'u1',
    traits: { plan: 'pro' },
    timestamp: '2024-05-01T10:00:00.000Z',
    receivedAt: '2024-05-01T10:00:01.000Z',
  });
  return { ...toRawEventRecord(event), ...overrides };
}

const deepText = (levels: number) => `{"t":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

describe('raw record bounds', () => {
  it.each([
    ['timestamp', 9e15],
    ['timestamp', -9e15],
    ['receivedAt', Date.parse('9999-12-31T23:59:59.999Z') + 1],
    ['sentAt', Number.MAX_SAFE_INTEGER],
    ['originalTimestamp', -62167219200001],
  ] as const)('rejects %s = %d as an invalid record, not a RangeError', (field, value) => {
    const bad = record({ [field]: value });
    expect(() => fromRawEventRecord(bad)).toThrow(EventRecordError);
    expect(() => fromRawEventRecord(bad)).toThrow(
      new RegExp(`event m-1: ${field}: .*\\[invalid_timestamp\\]`),
    );
  });

  it('accepts the first and last instants of years 0000-9999', () => {
    const first = fromRawEventRecord(record({ timestamp: Date.parse('0000-01-01T00:00:00.000Z') }));
    const last = fromRawEventRecord(record({ timestamp: Date.parse('9999-12-31T23:59:59.999Z') }));
    expect(first.timestamp).toBe('0000-01-01T00:00:00.000Z');
    expect(last.timestamp).toBe('9999-12-31T23:59:59.999Z');
  });

  it(`accepts traits ${MAX_JSON_DEPTH} levels deep and rejects deeper ones as json_too_deep`, () => {
    expect(fromRawEventRecord(record({ traits: deepText(MAX_JSON_DEPTH) })).traits).toBeDefined();
    for (const levels of [MAX_JSON_DEPTH + 1, 4_000, 15_000]) {
      expect(() => fromRawEventRecord(record({ traits: deepText(levels) }))).toThrow(
        /event m-1: traits: JSON nested deeper than 64 levels \[json_too_deep\]/,
      );
    }
  });

  it('makes a lone surrogate escaped in a JSON field well-formed', () => {
    const event = fromRawEventRecord(record({ traits: '{"k":"\\ud800","\\udc00":"v"}' }));
    expect(event.traits).toEqual({ k: '\ufffd', '\ufffd': 'v' });
  });

  it('the model itself refuses too-deep free-form JSON and out-of-range instants, naming the path', () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH; i++) deep = { d: deep };
    const parsed = cdpEventSchema.safeParse({
      messageId: 'm-2',
      type: 'track',
      tenant: 'demo',
      userId: 'u1',
      event: 'E',
      properties: { p: deep },
      timestamp: '0000-01-01T00:00:00+01:00',
      receivedAt: '2024-05-01T10:00:01.000Z',
    });
    expect(parsed.success).toBe(false);
    const paths = parsed.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toContain(['properties', 'p', ...Array<string>(MAX_JSON_DEPTH - 1).fill('d')].join('.'));
    expect(paths).toContain('timestamp');
  });

  it('writes lone surrogates of a producer event as U+FFFD', () => {
    const r = toRawEventRecord(
      cdpEventSchema.parse({
        messageId: 'm-3',
        type: 'track',
        tenant: 'demo',
        userId: 'u1',
        event: 'E',
        properties: { k: '\ud800' },
        timestamp: '2024-05-01T10:00:00.000Z',
        receivedAt: '2024-05-01T10:00:01.000Z',
      }),
    );
    expect(r.properties).toBe('{"k":"\ufffd"}');
  });

  it('repairs a lone surrogate in a key, keeps pairs, and keeps text that only looks like an escape', () => {
    const r = toRawEventRecord(
      cdpEventSchema.parse({
        messageId: 'm-4',
        type: 'identify',
        tenant: 'demo',
        userId: 'u1',
        traits: { '\udc00': 'v', pair: '\ud83d\ude00', text: '\\ud800' },
        context: { text: '\\ud800 only looks like an escape' },
        timestamp: '2024-05-01T10:00:00.000Z',
        receivedAt: '2024-05-01T10:00:01.000Z',
      }),
    );
    expect(JSON.parse(r.traits!)).toEqual({ '\ufffd': 'v', pair: '\ud83d\ude00', text: '\\ud800' });
    expect(r.context).toBe(JSON.stringify({ text: '\\ud800 only looks like an escape' }));
  });

  it('turns a record the raw-event stream refuses into an EventRecordError naming the messageId', async () => {
    // What the codec's decodeRecord does with a decoded value: check it against the stream's record type.
    const codec: RecordDecoder = {
      decodeRecord: (async () => {
        const value = record({ timestamp: 9e15 });
        const parsed = rawEvents.record.safeParse(value);
        throw new RecordContractError(rawEvents.name, value, parsed.error!);
      }) as RecordDecoder['decodeRecord'],
    };
    await expect(decodeRawEvent(codec, Buffer.alloc(0))).rejects.toMatchObject({
      name: 'PoisonMessageError',
      errorClass: 'EventRecordError',
      message: expect.stringMatching(/^event m-1: timestamp: .*\[invalid_timestamp\]/),
    });
  });
});
