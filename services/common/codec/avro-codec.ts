// The one Avro codec: Confluent wire format through a schema registry, schemas from schemas/<topic>.avsc
// registered under `<topic>-value` with BACKWARD compatibility; ids and parsed schemas are cached.
import fs from 'node:fs';
import path from 'node:path';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { RawAvroSchema } from '@kafkajs/confluent-schema-registry/dist/@types';
import { repoRoot } from '../config';
import { PoisonMessageError } from '../kafka/consumed-message';

export const SCHEMAS_DIR = path.join(repoRoot, 'schemas');

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
  private readonly readerSchemas = new Map<string, Record<string, unknown>>();

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
    const readerSchema = readerTopic ? this.readerSchemaFor(readerTopic) : undefined;
    try {
      return await this.registry.decode(
        buffer,
        readerSchema
          ? { [SchemaType.AVRO]: { readerSchema: readerSchema as unknown as RawAvroSchema } }
          : undefined,
      );
    } catch (err) {
      const status = httpStatus(err);
      const message = err instanceof Error ? err.message : String(err);
      if (status === 404) {
        throw new PoisonMessageError(
          `unknown schema id ${buffer.readUInt32BE(1)} in record: ${message}`,
          'UnknownSchema',
          { cause: err },
        );
      }
      if (status !== undefined || /ECONNREFUSED|ETIMEDOUT|ECONNRESET|socket|network/i.test(message)) {
        throw new Error(`schema registry unavailable while decoding: ${message}`, { cause: err });
      }
      throw new PoisonMessageError(`undecodable Avro record: ${message}`, 'DecodeError', { cause: err });
    }
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
