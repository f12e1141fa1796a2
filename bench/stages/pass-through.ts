// The baseline the resolver is measured against: the same consumer runner, codec, producer and
// message sizes, doing no work between decoding a raw event and encoding it to another topic.
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
}

export async function startPassThrough(
  config: Config,
  logger: Logger,
  topics: PassThroughTopics,
): Promise<RunningService> {
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const stream = topics.stream ?? rawEvents;
  await codec.register(topics.output, stream.schema());
  const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-pass-through`);
  const producer = await createProducer(kafka);
  const runner = await startConsumerRunner({
    kafka,
    producer,
    logger,
    service: 'pass-through',
    groupId: topics.groupId,
    topics: [topics.input],
    dlqTopic: topics.dlq,
    // Decoded (and validated) as a raw-event record exactly as the resolver decodes it, written back as one.
    handle: async (message) => [
      {
        topic: topics.output,
        key: message.key,
        value: await codec.encodeRecord(
          stream,
          await codec.decodeRecord(stream, message.value),
          topics.output,
        ),
      },
    ],
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
