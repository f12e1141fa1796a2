// The one Avro codec: Confluent wire format through a schema registry, schemas from schemas/<topic>.avsc
// registered under `<topic>-value` with BACKWARD compatibility. Ids, parsed reader types and
// writer->reader resolvers are cached: building an avsc type costs more than decoding a record.
import fs from 'node:fs';
import path from 'node:path';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { z } from 'zod';
import { repoRoot } from '../config';
import { PoisonMessageError } from '../kafka/consumed-message';
import type { AvroStream } from '../streams/stream';

type AvroResolver = ReturnType<avro.Type['createResolver']>;

export const SCHEMAS_DIR = path.join(repoRoot, 'schemas');

/** A record that decoded from Avro but is not a record of the stream it was read as. */
export const RECORD_CONTRACT_ERROR = 'RecordContractError';

/** Poison: what was decoded and what its stream's record type found wrong, for a reader to word. */
export class RecordContractError extends PoisonMessageError {
  constructor(
    readonly streamName: string,
    readonly decoded: unknown,
    readonly issues: z.ZodError,
  ) {
    const issue = issues.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    super(`not a ${streamName} record: ${where}${issue?.message ?? 'invalid'}`, RECORD_CONTRACT_ERROR, {
      cause: issues,
    });
  }
}

export function subjectFor(topic: string): string {
  return `${topic}-value`;
}

export function readTopicSchema(topic: string, dir: string = SCHEMAS_DIR): Record<string, unknown> {
  const file = path.join(dir, `${topic}.avsc`);
  if (!fs.existsSync(file)) throw new Error(`no Avro schema for topic ${topic}: expected ${file}`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function httpStatus(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'status' in err) {
    const status = (err as { status: unknown }).status;
    if (typeof status === 'number') return status;
  }
  return undefined;
}

export class AvroCodec {
  private readonly registry: SchemaRegistry;
  private readonly ids = new Map<string, Promise<number>>();
  /** Reader schemas by topic (decode) or by `stream:<name>` (decodeRecord). */
  private readonly readerSchemas = new Map<string, Record<string, unknown>>();
  private readonly readerTypes = new Map<string, avro.Type>();
  /** `<writer id>:<reader topic>` -> resolver, or null when writer and reader are the same type. */
  private readonly resolvers = new Map<string, AvroResolver | null>();
  private readonly encoders = new Map<string, Promise<(record: unknown) => Buffer>>();

  constructor(
    registryUrl: string,
    private readonly schemasDir: string = SCHEMAS_DIR,
  ) {
    this.registry = new SchemaRegistry({ host: registryUrl, clientId: 'cdp' });
  }

  /** Registers (idempotently) the schema for `topic`: from schemas/ unless one is given. */
  register(topic: string, schema?: Record<string, unknown>): Promise<number> {
    const cached = this.ids.get(topic);
    if (cached) return cached;
    const definition = schema ?? readTopicSchema(topic, this.schemasDir);
    this.readerSchemas.set(topic, definition);
    this.readerTypes.delete(topic);
    const pending = this.registry
      .register(
        { type: SchemaType.AVRO, schema: JSON.stringify(definition) },
        { subject: subjectFor(topic), compatibility: COMPATIBILITY.BACKWARD },
      )
      .then((r) => r.id);
    // A failed registration (registry down) must not poison the cache.
    pending.catch(() => this.ids.delete(topic));
    this.ids.set(topic, pending);
    return pending;
  }

  /**
   * Encodes one record of `stream` for `topic` (the stream's own topic unless a test writes it
   * elsewhere), registering the stream's schema under that topic's subject on first use.
   */
  async encodeRecord<S extends z.ZodType>(
    stream: AvroStream<S>,
    record: z.infer<S>,
    topic: string = stream.topic,
  ): Promise<Buffer> {
    const id = await this.register(topic, stream.schema());
    return this.registry.encode(id, record);
  }

  /**
   * `encodeRecord` for many records: a synchronous encoder giving the same bytes (Confluent
   * framing, the registered schema's avsc type) without a promise per record. Made once per topic,
   * like the registration it rests on (a topic has one schema); a failed one is not kept.
   */
  recordEncoder<S extends z.ZodType>(
    stream: AvroStream<S>,
    topic: string = stream.topic,
  ): Promise<(record: z.infer<S>) => Buffer> {
    let encoder = this.encoders.get(topic);
    if (encoder === undefined) {
      encoder = this.makeRecordEncoder(stream, topic);
      encoder.catch(() => this.encoders.delete(topic));
      this.encoders.set(topic, encoder);
    }
    return encoder;
  }

  private async makeRecordEncoder(stream: AvroStream, topic: string): Promise<(record: unknown) => Buffer> {
    const id = await this.register(topic, stream.schema());
    const type = (await this.registry.getSchema(id)) as unknown as avro.Type;
    const header = Buffer.alloc(5);
    header.writeUInt32BE(id, 1);
    return (record) => {
      const body = type.toBuffer(record);
      return Buffer.concat([header, body], header.length + body.length);
    };
  }

  /**
   * Decodes a record of `stream`, whatever topic it was read from: resolved into the stream's
   * schema, then checked against its record type. What cannot be a record of the stream is a
   * PoisonMessageError; a registry outage is a plain Error (retried).
   */
  async decodeRecord<S extends z.ZodType>(stream: AvroStream<S>, buffer: Buffer | null): Promise<z.infer<S>> {
    // ':' never occurs in a Kafka topic name, so a stream's reader never shadows a topic's.
    const readerKey = `stream:${stream.name}`;
    if (!this.readerSchemas.has(readerKey)) this.readerSchemas.set(readerKey, stream.schema());
    const value = await this.decode(buffer, readerKey);
    const parsed = stream.record.safeParse(value);
    if (!parsed.success) throw new RecordContractError(stream.name, value, parsed.error);
    return parsed.data;
  }

  async encode(topic: string, value: unknown): Promise<Buffer> {
    const id = await this.register(topic);
    return this.registry.encode(id, value);
  }

  /**
   * Decodes a Confluent-framed Avro record, resolved into `readerTopic`'s current schema when given.
   * Bytes that can never decode throw PoisonMessageError; a registry outage throws a plain Error so
   * the runner retries.
   */
  async decode(buffer: Buffer | null, readerTopic?: string): Promise<unknown> {
    if (buffer === null || buffer.length < 5) {
      throw new PoisonMessageError(
        `not a Confluent Avro record: ${buffer === null ? 'empty value' : `${buffer.length} bytes`}`,
        'DecodeError',
      );
    }
    if (buffer[0] !== 0) {
      throw new PoisonMessageError(`not a Confluent Avro record: magic byte ${buffer[0]}`, 'DecodeError');
    }
    const id = buffer.readUInt32BE(1);
    let writer: avro.Type;
    try {
      writer = (await this.registry.getSchema(id)) as unknown as avro.Type;
    } catch (err) {
      const status = httpStatus(err);
      const message = err instanceof Error ? err.message : String(err);
      if (status === 404) {
        throw new PoisonMessageError(`unknown schema id ${id} in record: ${message}`, 'UnknownSchema', {
          cause: err,
        });
      }
      throw new Error(`schema registry unavailable while decoding (schema id ${id}): ${message}`, {
        cause: err,
      });
    }
    const payload = buffer.subarray(5);
    try {
      if (readerTopic === undefined) return writer.fromBuffer(payload);
      const reader = this.readerTypeFor(readerTopic);
      const resolver = this.resolverFor(id, readerTopic, reader, writer);
      return resolver === null ? reader.fromBuffer(payload) : reader.fromBuffer(payload, resolver);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new PoisonMessageError(`undecodable Avro record (schema id ${id}): ${message}`, 'DecodeError', {
        cause: err,
      });
    }
  }

  private readerTypeFor(topic: string): avro.Type {
    let type = this.readerTypes.get(topic);
    if (!type) {
      type = avro.Type.forSchema(this.readerSchemaFor(topic) as unknown as avro.Schema);
      this.readerTypes.set(topic, type);
    }
    return type;
  }

  private resolverFor(id: number, topic: string, reader: avro.Type, writer: avro.Type): AvroResolver | null {
    const key = `${id}:${topic}`;
    let resolver = this.resolvers.get(key);
    if (resolver === undefined) {
      // Incompatible writer schemas throw here, once per record, and are dead-lettered as such.
      resolver = reader.equals(writer) ? null : reader.createResolver(writer);
      this.resolvers.set(key, resolver);
    }
    return resolver;
  }

  private readerSchemaFor(topic: string): Record<string, unknown> {
    let schema = this.readerSchemas.get(topic);
    if (!schema) {
      schema = readTopicSchema(topic, this.schemasDir);
      this.readerSchemas.set(topic, schema);
    }
    return schema;
  }
}

/** What a reader of streams needs of the codec (tests pass a fake with this shape). */
export type RecordDecoder = Pick<AvroCodec, 'decodeRecord'>;
/** What a writer of streams needs of the codec. */
export type RecordEncoder = Pick<AvroCodec, 'encodeRecord' | 'recordEncoder'>;
