// cdp.events.dlq.v1: NOT Avro. Each message is a failed message's original key, bytes and headers,
// plus the reason headers that kafka/dead-letter.ts adds (DLQ_HEADERS): the bytes are kept exactly
// because they could not be read. schemas/cdp.events.dlq.v1.avsc (DeadLetter) documents what a
// consumer stores per message, so that row evolves under the same rules as every other contract.
import { z } from 'zod';
import { DLQ_HEADERS } from '../kafka/dead-letter';
import { TOPICS } from '../kafka/topics';
import {
  avroBytes,
  avroInt,
  avroLong,
  epochMillis,
  lazySchema,
  schemaFileOf,
  type OriginalBytesStream,
} from './stream';

export { DLQ_HEADERS };

export const deadLetterRecordSchema = z.object({
  sourceTopic: z.string(),
  sourcePartition: avroInt,
  sourceOffset: avroLong,
  sourceTimestamp: epochMillis.nullable(),
  key: avroBytes.nullable(),
  value: avroBytes.nullable(),
  /** When it could be read from the key. */
  tenant: z.string().nullable(),
  errorClass: z.string(),
  errorMessage: z.string(),
  service: z.string(),
  /** The original message's other headers. */
  headers: z.record(z.string(), z.string()),
  failedAt: epochMillis,
});

export type DeadLetterRecord = z.infer<typeof deadLetterRecordSchema>;

export const deadLetters: OriginalBytesStream<typeof deadLetterRecordSchema> & {
  readonly headers: typeof DLQ_HEADERS;
} = {
  encoding: 'original-bytes',
  name: 'eventsDlq',
  topic: TOPICS.eventsDlq,
  schemaFile: schemaFileOf(TOPICS.eventsDlq),
  storedRecord: deadLetterRecordSchema,
  headers: DLQ_HEADERS,
  key: (original) => original.key,
  schema: lazySchema(TOPICS.eventsDlq),
};
