// What a stream is in code: its default topic, the .avsc that is its contract, the record type as a
// zod schema, and how a record is keyed. A service names the streams it reads and writes; the codec
// takes the stream, so no service keeps its own map from outputs to schema files.
import path from 'node:path';
import { z } from 'zod';
import { readTopicSchema } from '../codec/avro-codec';
import type { TOPICS } from '../kafka/topics';

/** A stream is named as its topic is in TOPICS. */
export type StreamName = keyof typeof TOPICS;

/**
 * What the zod type alone cannot say about the Avro type: a long that is an instant, raw bytes.
 * The drift test (test/unit/streams/stream-contracts.test.ts) reads it; nothing else does.
 */
export interface AvroHint {
  logicalType?: 'timestamp-millis';
  type?: 'bytes';
}

export const avroHints = z.registry<AvroHint>();

/** JavaScript Dates end at ±8.64e15 ms: beyond that `new Date(ms).toISOString()` throws RangeError. */
export const MAX_EPOCH_MS = 8.64e15;

/** Avro `long` with logicalType `timestamp-millis`: epoch milliseconds a Date can hold. */
export const epochMillis = z.number().int().min(-MAX_EPOCH_MS).max(MAX_EPOCH_MS).register(avroHints, {
  logicalType: 'timestamp-millis',
});

/** Avro `long`: any integer JavaScript holds exactly (avsc refuses larger ones). */
export const avroLong = z.number().int();

/** Avro `int`. */
export const avroInt = z.int32();

/** Avro `bytes`, as avsc decodes them. */
export const avroBytes = z.instanceof(Buffer).register(avroHints, { type: 'bytes' });

/** A stream whose Kafka values are Avro records of `schemas/<topic>.avsc` in the Confluent wire format. */
export interface AvroStream<S extends z.ZodType = z.ZodType> {
  readonly encoding: 'avro';
  /** Its name in code and in error messages. */
  readonly name: StreamName;
  /** Default topic; a test may write the same stream to a topic of its own. */
  readonly topic: string;
  /** Repository-relative path of the .avsc: its contract, registered under `<topic>-value`. */
  readonly schemaFile: string;
  /** The record as decoded from Avro (all fields present, absent values null). */
  readonly record: S;
  /** The Kafka key of a record (schemas/README.md, "key" column). */
  key(record: z.infer<S>): string;
  /** The parsed .avsc, read once. */
  schema(): Record<string, unknown>;
}

/** The record type a stream carries: `StreamRecord<typeof profileChanges>`. */
export type StreamRecord<T extends AvroStream> = z.infer<T['record']>;

/**
 * A stream whose Kafka values are NOT encoded by us: the dead-letter topic carries each failed
 * message's original key, bytes and headers, plus reason headers. Its .avsc documents the record
 * a consumer stores per message (`storedRecord`), so the codec refuses this kind of stream.
 */
export interface OriginalBytesStream<S extends z.ZodType = z.ZodType> {
  readonly encoding: 'original-bytes';
  readonly name: StreamName;
  readonly topic: string;
  /** Repository-relative path of the .avsc describing `storedRecord`. */
  readonly schemaFile: string;
  /** What one message becomes in storage (the .avsc's record), not the Kafka value. */
  readonly storedRecord: S;
  /** The Kafka key: the failed message's own key, unchanged. */
  key(original: { key: Buffer | null }): Buffer | null;
  schema(): Record<string, unknown>;
}

export type Stream = AvroStream | OriginalBytesStream;

export function schemaFileOf(topic: string): string {
  return path.join('schemas', `${topic}.avsc`);
}

/** Reads `schemas/<topic>.avsc` on first use, then keeps it. */
export function lazySchema(topic: string): () => Record<string, unknown> {
  let schema: Record<string, unknown> | undefined;
  return () => (schema ??= readTopicSchema(topic));
}

export interface StreamDefinition<S extends z.ZodType> {
  name: StreamName;
  topic: string;
  record: S;
  key(record: z.infer<S>): string;
}

export function defineStream<S extends z.ZodType>(definition: StreamDefinition<S>): AvroStream<S> {
  return {
    encoding: 'avro',
    name: definition.name,
    topic: definition.topic,
    schemaFile: schemaFileOf(definition.topic),
    record: definition.record,
    key: definition.key,
    schema: lazySchema(definition.topic),
  };
}
