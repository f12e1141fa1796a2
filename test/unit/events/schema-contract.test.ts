// Every topic has a documented, namespaced schema, and each schema can read everything written
// with its previous committed version (BACKWARD compatibility, as the registry enforces it).
import avro from 'avsc';
import { TOPICS } from '../../../services/common/kafka/topics';
import { readSchema, schemaFiles, schemaVersions, type AvroRecordSchema } from '../../support/avro-schemas';

const topics = Object.values(TOPICS);

/** BACKWARD: a reader with the new schema can decode data written with the old one. */
function backwardIncompatibility(oldSchema: unknown, newSchema: unknown): string | undefined {
  const reader = avro.Type.forSchema(newSchema as avro.Schema);
  const writer = avro.Type.forSchema(oldSchema as avro.Schema);
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function collectDocless(type: unknown, where: string, out: string[]): void {
  if (Array.isArray(type)) {
    for (const t of type) collectDocless(t, where, out);
    return;
  }
  if (typeof type !== 'object' || type === null) return;
  const t = type as {
    type?: unknown;
    fields?: { name: string; doc?: string; type: unknown }[];
    items?: unknown;
  };
  if (t.type === 'record' && t.fields) {
    for (const f of t.fields) {
      if (!f.doc) out.push(`${where}.${f.name}`);
      collectDocless(f.type, `${where}.${f.name}`, out);
    }
  }
  if (t.type === 'array') collectDocless(t.items, where, out);
}

describe('schemas/', () => {
  it('has exactly one schema per topic', () => {
    expect(schemaFiles()).toEqual(topics.map((t) => `${t}.avsc`).sort());
  });

  describe.each(topics)('%s', (topic) => {
    const schema: AvroRecordSchema = readSchema(topic);

    it('is a namespaced, documented record that avsc accepts', () => {
      expect(schema.type).toBe('record');
      expect(schema.namespace).toMatch(/^cdp\.[a-z]+$/);
      expect(schema.doc).toBeTruthy();
      const docless: string[] = [];
      collectDocless(schema, schema.name, docless);
      expect(docless).toEqual([]);
      expect(() => avro.Type.forSchema(schema as avro.Schema)).not.toThrow();
    });

    it('gives every optional field a default, so adding it stays backward compatible', () => {
      const nullableWithoutDefault = schema.fields.filter(
        (f) => Array.isArray(f.type) && f.type[0] === 'null' && f.default !== null,
      );
      expect(nullableWithoutDefault.map((f) => f.name)).toEqual([]);
    });

    it('is backward compatible with each previous committed version', () => {
      const versions = schemaVersions(topic).map((v) => JSON.parse(v) as unknown);
      const breaks: string[] = [];
      for (let i = 1; i < versions.length; i++) {
        const why = backwardIncompatibility(versions[i - 1], versions[i]);
        if (why) breaks.push(`version ${i} -> ${i + 1}: ${why}`);
      }
      expect(breaks).toEqual([]);
    });
  });

  it('detects a backward-incompatible change (a new field without a default)', () => {
    const raw = readSchema(TOPICS.eventsRaw);
    const broken = { ...raw, fields: [...raw.fields, { name: 'mandatory', type: 'string', doc: 'x' }] };
    expect(backwardIncompatibility(raw, broken)).toMatch(/mandatory/);
    const widened = {
      ...raw,
      fields: [...raw.fields, { name: 'optional', type: ['null', 'string'], default: null, doc: 'x' }],
    };
    expect(backwardIncompatibility(raw, widened)).toBeUndefined();
  });
});
