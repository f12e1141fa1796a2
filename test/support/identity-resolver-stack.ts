// Unique topics, a tenant and a running identity resolver for integration tests on the real stack.
import type { z } from 'zod';
import { AvroCodec, type RecordDecoder } from '../../services/common/codec/avro-codec';
import { createEventProducer, type PublishableEvent } from '../../services/common/events/event-producer';
import type { Kafka } from '../../services/common/kafka/kafka-client';
import { createProducer, type MessageProducer } from '../../services/common/kafka/producer';
import { createLogger } from '../../services/common/logger';
import type { RunningService } from '../../services/common/runtime/service-definition';
import type { AvroStream } from '../../services/common/streams/stream';
import { tenantDirectory } from '../../services/common/tenants';
import type { IdentityRulesInput } from '../../services/identity-resolver/identity-rules';
import type { ResolverTopics } from '../../services/identity-resolver/resolver-handler';
import { startIdentityResolver } from '../../services/identity-resolver/main';
import { config, createTopics, deleteTopics, readTopic, uniqueName } from './real-stack';

export interface ResolverTestTopics extends ResolverTopics {
  input: string;
  dlq: string;
}

export async function createResolverTopics(
  kafka: Kafka,
  inputPartitions: number,
): Promise<ResolverTestTopics> {
  const name = (what: string) => uniqueName(`test.resolver.${what}`);
  const topics: ResolverTestTopics = {
    input: name('raw'),
    dlq: name('dlq'),
    resolved: name('resolved'),
    changes: name('changes'),
    profiles: name('profiles'),
    merges: name('merges'),
    warnings: name('warnings'),
  };
  await createTopics(kafka, [topics.input], inputPartitions);
  await createTopics(
    kafka,
    Object.values(topics).filter((t) => t !== topics.input),
    3,
  );
  return topics;
}

export async function dropResolverTopics(
  kafka: Kafka,
  topics: ResolverTestTopics | undefined,
): Promise<void> {
  if (topics) await deleteTopics(kafka, Object.values(topics));
}

export function startTestResolver(
  topics: ResolverTestTopics,
  tenant: string,
  groupId: string,
  options: { identity?: IdentityRulesInput; keepOutcomes?: boolean } = {},
): Promise<RunningService> {
  const { input, dlq, ...outputs } = topics;
  return startIdentityResolver(
    { ...config, CDP_RETRY_INITIAL_MS: 20, CDP_RETRY_MAX_MS: 500 },
    createLogger('identity-resolver-test', 'silent'),
    {
      input,
      dlq,
      outputs,
      groupId,
      tenants: tenantDirectory({
        tenants: [{ id: tenant, writeKeys: [`${tenant}-write-key`], identity: options.identity }],
      }),
      keepOutcomes: options.keepOutcomes,
    },
  );
}

export interface EventPublisher {
  publish(events: PublishableEvent[]): Promise<void>;
  producer: MessageProducer;
  codec: AvroCodec;
}

export async function eventPublisher(kafka: Kafka, topic: string): Promise<EventPublisher> {
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const producer = await createProducer(kafka);
  const events = createEventProducer({ codec, producer, topic });
  return {
    codec,
    producer,
    publish: async (list) => {
      await events.publish(list);
    },
  };
}

export interface DecodedRecord<T> {
  key: string | null;
  /** null: a tombstone. */
  value: T | null;
}

/** Reads `count` records of `topic` and decodes them as records of `stream` (checked by its type). */
export async function readDecoded<S extends z.ZodType>(
  kafka: Kafka,
  codec: RecordDecoder,
  stream: AvroStream<S>,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<DecodedRecord<z.infer<S>>[]> {
  const records = await readTopic(kafka, topic, count, timeoutMs);
  return Promise.all(
    records.map(async (r) => ({
      key: r.key,
      value: r.value === null ? null : await codec.decodeRecord(stream, r.value),
    })),
  );
}

/** A resolver of one test file's own: private topics, a publisher to its input, one tenant. */
export interface ResolverTestBed {
  topics: ResolverTestTopics;
  publisher: EventPublisher;
  resolver: RunningService;
  /** Stops the resolver, then the publisher, then drops the topics. */
  close(): Promise<void>;
}

export async function startResolverTestBed(
  kafka: Kafka,
  tenant: string,
  name: string,
  options: { identity?: IdentityRulesInput; keepOutcomes?: boolean } = {},
): Promise<ResolverTestBed> {
  const topics = await createResolverTopics(kafka, 1);
  const publisher = await eventPublisher(kafka, topics.input);
  let resolver: RunningService;
  try {
    resolver = await startTestResolver(topics, tenant, uniqueName(`cdp-identity-resolver-${name}`), options);
  } catch (err) {
    await publisher.producer.disconnect();
    await dropResolverTopics(kafka, topics);
    throw err;
  }
  return {
    topics,
    publisher,
    resolver,
    close: async () => {
      await resolver.stop();
      await publisher.producer.disconnect();
      await dropResolverTopics(kafka, topics);
    },
  };
}

export { uniqueName };
