// Every stream's zod record type and its .avsc agree field by field, and its key builder gives what
// schemas/README.md says: the code, the contract and the docs cannot change one without the others.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { z } from 'zod';
import { TOPICS } from '../../../services/common/kafka/topics';
import { ALL_STREAMS } from '../../../services/common/streams/all-streams';
import { profileChangeRecordSchema } from '../../../services/common/streams/profile-changes';
import type { Stream } from '../../../services/common/streams/stream';
import { readSchema, repoRoot, type AvroRecordSchema } from '../../support/avro-schemas';
import { withEventRules } from '../../support/stream-samples';
import { avroTypeOfZod, comparableAvroType, type ComparableAvroType } from '../../support/zod-avro-types';

const TIMESTAMP_MILLIS = { type: 'long', logicalType: 'timestamp-millis' };

function recordSchemaOf(stream: Stream): z.ZodObject {
  const record = stream.encoding === 'avro' ? stream.record : stream.storedRecord;
  if (!(record instanceof z.ZodObject)) throw new Error(`${stream.name}: record type is not a zod object`);
  return record;
}

interface FieldComparison {
  expected: ComparableAvroType;
  actual: ComparableAvroType;
}

/** Per field of the .avsc: the Avro type the zod field implies and the one the file declares. */
function compareFields(zodRecord: z.ZodObject, schema: AvroRecordSchema): Map<string, FieldComparison> {
  const actual = comparableAvroType(schema) as { fields: { name: string; type: ComparableAvroType }[] };
  const shape = zodRecord.shape as Record<string, z.ZodType>;
  return new Map(
    actual.fields.map((field) => {
      const zodField = shape[field.name];
      const expected: ComparableAvroType =
        zodField === undefined ? 'absent from zod' : avroTypeOfZod(zodField, field.name);
      return [field.name, { expected, actual: field.type }];
    }),
  );
}

/** Field names only one side has. */
function fieldNameDiff(
  zodRecord: z.ZodObject,
  schema: AvroRecordSchema,
): { onlyInZod: string[]; onlyInAvro: string[] } {
  const zodNames = Object.keys(zodRecord.shape);
  const avroNames = schema.fields.map((f) => f.name);
  return {
    onlyInZod: zodNames.filter((n) => !avroNames.includes(n)),
    onlyInAvro: avroNames.filter((n) => !zodNames.includes(n)),
  };
}

function readmeKeys(): Map<string, string> {
  const text = readFileSync(path.join(repoRoot, 'schemas', 'README.md'), 'utf8');
  const keys = new Map<string, string>();
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const topic = /^`(cdp\.[^`]+)`$/.exec(cells[1] ?? '')?.[1];
    if (topic !== undefined && cells[3] !== undefined) keys.set(topic, cells[3]);
  }
  return keys;
}

/** A record of the stream: Avro's random value of the schema, read through the zod type. */
function sampleRecord(stream: Stream): Record<string, unknown> {
  const type = avro.Type.forSchema(stream.schema() as unknown as avro.Schema);
  return recordSchemaOf(stream).parse(
    withEventRules(stream, type.random() as unknown as Record<string, unknown>),
  ) as Record<string, unknown>;
}

const streams = ALL_STREAMS.map((s) => [s.name, s] as const);

describe('the stream list', () => {
  it('has one stream per topic, named as in TOPICS', () => {
    expect(ALL_STREAMS.map((s) => s.topic).sort()).toEqual(Object.values(TOPICS).sort());
    for (const stream of ALL_STREAMS) expect(TOPICS[stream.name]).toBe(stream.topic);
  });
});

describe.each(streams)('stream %s', (_name, stream) => {
  const schema = readSchema(stream.topic);
  const zodRecord = recordSchemaOf(stream);

  it('reads its contract from schemas/<topic>.avsc', () => {
    expect(stream.schemaFile).toBe(`schemas/${stream.topic}.avsc`);
    expect(existsSync(path.join(repoRoot, stream.schemaFile))).toBe(true);
    expect(stream.schema()).toEqual(schema);
  });

  it('has the same fields in its zod record type and its .avsc', () => {
    expect(fieldNameDiff(zodRecord, schema)).toEqual({ onlyInZod: [], onlyInAvro: [] });
  });

  it.each(schema.fields.map((f) => [f.name, f] as const))(
    'field %s has the Avro type its zod type implies',
    (field, avroField) => {
      const { expected, actual } = compareFields(zodRecord, schema).get(field)!;
      expect(actual).toEqual(expected);
      // Optional means ["null", T] with a null default, so old records and new readers agree.
      if (Array.isArray(avroField.type)) {
        expect(avroField.type[0]).toBe('null');
        expect(avroField.default).toBeNull();
      }
      const zodField = zodRecord.shape[field];
      if (zodField instanceof z.ZodDefault) expect(avroField.default).toEqual(zodField.def.defaultValue);
    },
  );

  it('accepts as its record type what the Avro schema produces, and encodes it back', () => {
    const type = avro.Type.forSchema(schema as unknown as avro.Schema);
    for (let i = 0; i < 50; i++) {
      const parsed = zodRecord.safeParse(
        withEventRules(stream, type.random() as unknown as Record<string, unknown>),
      );
      expect(parsed.error).toBeUndefined();
      expect(type.isValid(parsed.data)).toBe(true);
    }
  });

  it('builds the key schemas/README.md gives', () => {
    const documented = readmeKeys().get(stream.topic);
    expect(documented).toBeDefined();
    if (stream.encoding === 'original-bytes') {
      expect(documented).toMatch(/the original key/);
      const key = Buffer.from('demo:user_id:u-1');
      expect(stream.key({ key })).toBe(key);
      expect(stream.key({ key: null })).toBeNull();
      return;
    }
    const record = sampleRecord(stream);
    if (documented!.includes('primary identifier')) {
      // '<tenant>:<type>:<value>' of user_id, else anonymous_id.
      expect(documented).toMatch(/`user_id:…`, else `anonymous_id:…`/);
      const both = { ...record, tenant: 't', userId: 'u', anonymousId: 'a' };
      expect(stream.key(both)).toBe('t:user_id:u');
      expect(stream.key({ ...both, userId: null })).toBe('t:anonymous_id:a');
      return;
    }
    const pattern = /^`([^`]+)`$/.exec(documented!)?.[1];
    expect(pattern).toBeDefined();
    const expected = pattern!.includes('<')
      ? pattern!.replace(/<(\w+)>/g, (_, f: string) => {
          expect(record).toHaveProperty(f);
          return String(record[f]);
        })
      : record[pattern!];
    expect(typeof expected).toBe('string');
    expect(stream.key(record)).toBe(expected);
  });
});

describe('the comparison itself', () => {
  const changes = readSchema(TOPICS.profileChanges);

  it('notices a field the .avsc does not have, and a type that differs', () => {
    const drifted = profileChangeRecordSchema.omit({ mergedFrom: true }).extend({ note: z.string() });
    expect(fieldNameDiff(drifted, changes)).toEqual({ onlyInZod: ['note'], onlyInAvro: ['mergedFrom'] });
    const retyped = profileChangeRecordSchema.extend({ version: z.string() });
    const version = compareFields(retyped, changes).get('version')!;
    expect(version.actual).not.toEqual(version.expected);
  });

  it('notices an instant declared as a plain long, and a nullable field that is required in Avro', () => {
    const plain = profileChangeRecordSchema.extend({
      changedAt: z.number().int(),
      tenant: z.string().nullable(),
    });
    const fields = compareFields(plain, changes);
    expect(fields.get('changedAt')!.expected).toBe('long');
    expect(fields.get('changedAt')!.actual).toEqual(TIMESTAMP_MILLIS);
    expect(fields.get('tenant')!.expected).toEqual(['null', 'string']);
    expect(fields.get('tenant')!.actual).toBe('string');
  });

  it('refuses zod types it cannot map', () => {
    expect(() => avroTypeOfZod(z.date(), 'when')).toThrow(/when: zod type ZodDate has no Avro counterpart/);
  });
});
