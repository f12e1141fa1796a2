// The zod event model, its Avro wire form and schemas/cdp.events.raw.v1.avsc describe the same
// fields with the same types: a change to one without the others fails here.
import avro from 'avsc';
import fc from 'fast-check';
import { z } from 'zod';
import {
  EVENT_TYPES,
  cdpEventFields,
  cdpEventSchema,
  type CdpEvent,
} from '../../../services/common/events/event-model';
import {
  INSTANT_FIELDS,
  JSON_STRING_FIELDS,
  fromRawEventRecord,
  rawEventRecordSchema,
  toRawEventRecord,
} from '../../../services/common/events/event-record';
import { TOPICS } from '../../../services/common/kafka/topics';
import { readSchema } from '../../support/avro-schemas';

const rawSchema = readSchema(TOPICS.eventsRaw);
const rawType = avro.Type.forSchema(rawSchema as avro.Schema);
const TIMESTAMP_MILLIS = { type: 'long', logicalType: 'timestamp-millis' };

/** The Avro type a model field must have, derived from the zod definition alone. */
function expectedAvroType(name: string, field: z.ZodType): unknown {
  const optional = field instanceof z.ZodOptional;
  const inner = optional ? (field.unwrap() as z.ZodType) : field;
  let base: unknown;
  if ((INSTANT_FIELDS as readonly string[]).includes(name)) {
    expect(inner).toBeInstanceOf(z.ZodISODateTime);
    base = TIMESTAMP_MILLIS;
  } else if (inner instanceof z.ZodRecord) {
    expect(JSON_STRING_FIELDS).toContain(name);
    base = 'string';
  } else if (inner instanceof z.ZodEnum) {
    base = { type: 'enum', symbols: inner.options };
  } else if (inner instanceof z.ZodString) {
    base = 'string';
  } else {
    throw new Error(`model field ${name} has a zod type the contract does not map`);
  }
  return optional ? ['null', base] : base;
}

function comparableAvroType(type: unknown): unknown {
  if (Array.isArray(type)) return type.map(comparableAvroType);
  if (typeof type === 'object' && type !== null && (type as { type?: string }).type === 'enum') {
    return { type: 'enum', symbols: (type as { symbols: string[] }).symbols };
  }
  return type;
}

describe('event model vs schemas/cdp.events.raw.v1.avsc', () => {
  it('has the same fields in the model, the record form and the Avro schema', () => {
    const avroNames = rawSchema.fields.map((f) => f.name).sort();
    expect(Object.keys(cdpEventFields).sort()).toEqual(avroNames);
    expect(Object.keys(rawEventRecordSchema.shape).sort()).toEqual(avroNames);
  });

  it.each(rawSchema.fields.map((f) => [f.name, f] as const))(
    'field %s has the type the model implies',
    (name, field) => {
      const modelField = (cdpEventFields as Record<string, z.ZodType>)[name];
      expect(modelField).toBeDefined();
      expect(comparableAvroType(field.type)).toEqual(expectedAvroType(name, modelField as z.ZodType));
      if (Array.isArray(field.type)) expect(field.default).toBeNull();
    },
  );

  it('uses the same type symbols as the model', () => {
    const typeField = rawSchema.fields.find((f) => f.name === 'type');
    expect((typeField?.type as { symbols: string[] }).symbols).toEqual([...EVENT_TYPES]);
  });

  it('keeps the resolved-event envelope identical to the raw event', () => {
    const resolved = readSchema(TOPICS.eventsResolved);
    const envelope = resolved.fields.slice(0, rawSchema.fields.length);
    expect(envelope).toEqual(rawSchema.fields);
    expect(resolved.namespace).toBe(rawSchema.namespace);
  });
});

const isoMs = fc
  .integer({ min: Date.parse('1990-01-01T00:00:00Z'), max: Date.parse('2100-01-01T00:00:00Z') })
  .map((ms) => new Date(ms).toISOString());
const id = fc.string({ minLength: 1, maxLength: 40 });
const jsonObject = fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });

const eventArb: fc.Arbitrary<CdpEvent> = fc
  .record(
    {
      messageId: fc.string({ minLength: 1, maxLength: 100 }),
      type: fc.constantFrom(...EVENT_TYPES),
      tenant: id,
      userId: id,
      anonymousId: id,
      previousId: id,
      event: id,
      name: id,
      groupId: id,
      traits: jsonObject,
      properties: jsonObject,
      context: jsonObject,
      integrations: jsonObject,
      timestamp: isoMs,
      sentAt: isoMs,
      originalTimestamp: isoMs,
      receivedAt: isoMs,
    },
    {
      requiredKeys: [
        'messageId',
        'type',
        'tenant',
        'userId',
        'event',
        'groupId',
        'previousId',
        'timestamp',
        'receivedAt',
      ],
    },
  )
  .map((e) => cdpEventSchema.parse(e));

describe('event <-> Avro round trip', () => {
  it('decodes to the event that was encoded, for any valid event', () => {
    fc.assert(
      fc.property(eventArb, (event) => {
        const record = toRawEventRecord(event);
        expect(rawType.isValid(record)).toBe(true);
        const decoded = fromRawEventRecord(rawType.fromBuffer(rawType.toBuffer(record)));
        // JSON round trip normalises -0 and the like the same way the wire does.
        expect(decoded).toEqual(JSON.parse(JSON.stringify(event)));
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a decoded record whose JSON field is not an object, naming the messageId', () => {
    const record = { ...toRawEventRecord(sampleEvent()), traits: '[1,2]' };
    expect(() => fromRawEventRecord(record)).toThrow(/event m-1: traits: is not a JSON object/);
    expect(() => fromRawEventRecord({ ...record, traits: '{' })).toThrow(/traits: is not valid JSON/);
  });

  it('rejects a decoded record that breaks the event rules', () => {
    const record = { ...toRawEventRecord(sampleEvent()), event: null };
    expect(() => fromRawEventRecord(record)).toThrow(
      /event m-1: event: track requires event \[missing_event\]/,
    );
  });

  it('rejects values that are not records at all', () => {
    expect(() => fromRawEventRecord('garbage')).toThrow(/\(no messageId\)/);
  });
});

function sampleEvent(): CdpEvent {
  return cdpEventSchema.parse({
    messageId: 'm-1',
    type: 'track',
    tenant: 'demo',
    userId: 'u1',
    event: 'Order Completed',
    properties: { total: 10 },
    timestamp: '2024-05-01T10:00:00.000Z',
    receivedAt: '2024-05-01T10:00:01.000Z',
  });
}
