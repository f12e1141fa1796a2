// Two views of one record type, in the same comparable form: the Avro type a zod schema implies, and
// an .avsc type with docs, names and defaults stripped. The stream drift test compares them.
import { z } from 'zod';
import { avroHints } from '../../services/common/streams/stream';

/** 'string', 'long', ... | {type:'long',logicalType} | enum | array | map | record | union (array). */
export type ComparableAvroType =
  | string
  | ComparableAvroType[]
  | { type: string; logicalType: string }
  | { type: 'enum'; symbols: string[] }
  | { type: 'array'; items: ComparableAvroType }
  | { type: 'map'; values: ComparableAvroType }
  | { type: 'record'; fields: { name: string; type: ComparableAvroType }[] };

function numberType(schema: z.ZodNumber): ComparableAvroType {
  const logicalType = avroHints.get(schema)?.logicalType;
  switch (schema.format) {
    case 'int32':
      return 'int';
    case 'safeint':
      return logicalType ? { type: 'long', logicalType } : 'long';
    case 'float32':
      return 'float';
    default:
      return 'double';
  }
}

/** The Avro type a zod schema implies; throws for a zod type the contract does not map. */
export function avroTypeOfZod(schema: z.ZodType, where = 'record'): ComparableAvroType {
  if (avroHints.get(schema)?.type === 'bytes') return 'bytes';
  if (schema instanceof z.ZodNullable) return ['null', avroTypeOfZod(schema.unwrap() as z.ZodType, where)];
  if (schema instanceof z.ZodDefault) return avroTypeOfZod(schema.unwrap() as z.ZodType, where);
  if (schema instanceof z.ZodString) return 'string';
  if (schema instanceof z.ZodBoolean) return 'boolean';
  if (schema instanceof z.ZodNumber) return numberType(schema);
  if (schema instanceof z.ZodEnum) return { type: 'enum', symbols: schema.options.map(String) };
  if (schema instanceof z.ZodArray) {
    return { type: 'array', items: avroTypeOfZod(schema.element as z.ZodType, `${where}[]`) };
  }
  if (schema instanceof z.ZodRecord) {
    if (!(schema.keyType instanceof z.ZodString)) throw new Error(`${where}: Avro map keys are strings`);
    return { type: 'map', values: avroTypeOfZod(schema.valueType as z.ZodType, `${where}{}`) };
  }
  if (schema instanceof z.ZodObject) {
    return {
      type: 'record',
      fields: Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => ({
        name,
        type: avroTypeOfZod(field, `${where}.${name}`),
      })),
    };
  }
  throw new Error(`${where}: zod type ${schema.constructor.name} has no Avro counterpart in this mapper`);
}

interface AvroObject {
  type: string;
  name?: string;
  namespace?: string;
  logicalType?: string;
  symbols?: string[];
  items?: unknown;
  values?: unknown;
  fields?: { name: string; type: unknown }[];
}

/** An .avsc type in the comparable form; named types are resolved by (full) name within `named`. */
export function comparableAvroType(
  type: unknown,
  named: Map<string, ComparableAvroType> = new Map(),
  namespace?: string,
): ComparableAvroType {
  if (typeof type === 'string') return named.get(type) ?? named.get(`${namespace}.${type}`) ?? type;
  if (Array.isArray(type)) return type.map((t) => comparableAvroType(t, named, namespace));
  const t = type as AvroObject;
  const ns = t.namespace ?? namespace;
  const remember = (value: ComparableAvroType): ComparableAvroType => {
    if (t.name !== undefined) {
      named.set(t.name, value);
      if (ns !== undefined) named.set(`${ns}.${t.name}`, value);
    }
    return value;
  };
  switch (t.type) {
    case 'record':
      return remember({
        type: 'record',
        fields: (t.fields ?? []).map((f) => ({ name: f.name, type: comparableAvroType(f.type, named, ns) })),
      });
    case 'enum':
      return remember({ type: 'enum', symbols: t.symbols ?? [] });
    case 'array':
      return { type: 'array', items: comparableAvroType(t.items, named, ns) };
    case 'map':
      return { type: 'map', values: comparableAvroType(t.values, named, ns) };
    default:
      return t.logicalType === undefined ? t.type : { type: t.type, logicalType: t.logicalType };
  }
}
