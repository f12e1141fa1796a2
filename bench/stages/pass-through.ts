// The baseline the resolver is measured against: the same consumer runner, codec, producer and
// message sizes, doing no work between decoding a raw event and encoding it to another topic.
// A service that reads several topics (the segment engine: resolved events, profile changes and
// merges) is compared with a pass-through of all of them (`also`): each record is decoded with its
// own topic's stream and written to its own output, so the baseline moves the service's whole input.
import { AvroCodec } from '../../services/common/codec/avro-codec';
import { rawEvents } from '../../services/common/streams/raw-events';
import type { AvroStream } from '../../services/common/streams/stream';
import type { Config } from '../../services/common/config';
import { startConsumerRunner } from '../../services/common/kafka/consumer-runner';
import { createKafka } from '../../services/common/kafka/kafka-client';
import { createProducer } from '../../services/common/kafka/producer';
import type { Logger } from '../../services/common/logger';
import type { RunningService } from '../../services/common/runtime/service-definition';

export interface PassThroughTopics {
  input: string;
  output: string;
  dlq: string;
  groupId: string;
  /** The stream read and written (default raw events; the segment bench passes resolved events). */
  stream?: AvroStream;
  /** More topics read in the same consumer group, each decoded as its stream and written to its output. */
  also?: PassThroughRoute[];
}

export interface PassThroughRoute {
  input: string;
  output: string;
  stream: AvroStream;
}

export async function startPassThrough(
  config: Config,
  logger: Logger,
  topics: PassThroughTopics,
): Promise<RunningService> {
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const routes = new Map<string, { output: string; stream: AvroStream }>([
    [topics.input, { output: topics.output, stream: topics.stream ?? rawEvents }],
    ...(topics.also ?? []).map((r): [string, { output: string; stream: AvroStream }] => [r.input, r]),
  ]);
  for (const r of routes.values()) await codec.register(r.output, r.stream.schema());
  const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-pass-through`);
  const producer = await createProducer(kafka);
  const runner = await startConsumerRunner({
    kafka,
    producer,
    logger,
    service: 'pass-through',
    groupId: topics.groupId,
    topics: [...routes.keys()],
    dlqTopic: topics.dlq,
    // Decoded (and validated) as a record of its stream exactly as the service decodes it, written back as one.
    handle: async (message) => {
      const { output, stream } = routes.get(message.topic)!;
      return [
        {
          topic: output,
          key: message.key,
          value: await codec.encodeRecord(stream, await codec.decodeRecord(stream, message.value), output),
        },
      ];
    },
    keyConcurrency: config.CDP_KEY_CONCURRENCY,
    partitionsConcurrently: config.CDP_PARTITIONS_CONCURRENTLY,
    retryInitialMs: config.CDP_RETRY_INITIAL_MS,
    retryMaxMs: config.CDP_RETRY_MAX_MS,
  });
  return {
    stop: async () => {
      await runner.stop();
      await producer.disconnect();
    },
    healthy: async () => true,
  };
}
