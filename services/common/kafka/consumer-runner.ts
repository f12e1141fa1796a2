// The one consumer loop every service uses: per-key order with bounded key concurrency, retries of
// transient failures, poison records to the DLQ, outputs acknowledged before offsets are committed,
// and a drain on stop. kafkajs stays behind this interface.
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from '../logger';
import { runnerChunkSeconds, runnerMessages, runnerRetries } from '../metrics/registry';
import { PoisonMessageError, type ConsumedMessage } from './consumed-message';
import { deadLetter } from './dead-letter';
import type { Kafka } from './kafka-client';
import { backoffMs, forEachWithConcurrency, groupByKey } from './key-groups';
import type { MessageProducer, OutgoingMessage } from './producer';

export type MessageHandler = (message: ConsumedMessage) => Promise<OutgoingMessage[]>;

export interface ConsumerRunnerOptions {
  kafka: Kafka;
  producer: MessageProducer;
  logger: Logger;
  service: string;
  groupId: string;
  topics: string[];
  dlqTopic: string;
  handle: MessageHandler;
  keyConcurrency: number;
  partitionsConcurrently: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** Records handled, sent and committed together; bounds memory and redelivery after a crash. */
  chunkSize?: number;
  /** A new consumer group starts at the earliest offset so nothing published before it is missed. */
  fromBeginning?: boolean;
  /**
   * Runs after every record of a chunk was handled, before its outputs are sent and its offset
   * committed: a sink flushes its buffered rows here, so nothing is committed before the store
   * acknowledged it. It may return more outputs (e.g. dead letters for rows the store refused),
   * sent with the chunk's own. A throw is retried with backoff while the partition waits. It gets
   * the chunk's records, so outputs about them (not about another partition's chunk) are returned.
   */
  afterChunk?: (messages: ConsumedMessage[]) => Promise<OutgoingMessage[] | void>;
  /**
   * Runs once the chunk's outputs are acknowledged, before its offset is committed: state kept only
   * to re-send outputs after a redelivery can be released here. Best effort: a failure is logged and
   * the chunk still commits, so whatever it releases needs its own expiry as well.
   */
  afterSend?: (messages: ConsumedMessage[]) => Promise<void>;
  /**
   * Rewrites a chunk's outputs (in offset order) before they are sent, e.g. to drop snapshots that
   * a later one of the same chunk supersedes on a compacted topic.
   */
  compactOutputs?: (outputs: OutgoingMessage[]) => OutgoingMessage[];
}

export interface ConsumerRunner {
  /** Stops fetching, lets the chunk in hand finish (or abandons it uncommitted), commits, disconnects. */
  stop(): Promise<void>;
}

class StopRequested extends Error {}

function toConsumed(topic: string, partition: number, m: KafkaMessage): ConsumedMessage {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) headers[name] = Buffer.isBuffer(first) ? first : Buffer.from(first);
  }
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ?? null,
    value: m.value ?? null,
    headers,
    timestamp: Number(m.timestamp),
  };
}

export async function startConsumerRunner(options: ConsumerRunnerOptions): Promise<ConsumerRunner> {
  const { logger, service } = options;
  const chunkSize = options.chunkSize ?? 500;
  let stopping = false;

  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    // Offsets are committed only by us, after outputs are acknowledged.
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
  });

  async function pause(attempt: number, payload: EachBatchPayload): Promise<void> {
    const until = Date.now() + backoffMs(attempt, options.retryInitialMs, options.retryMaxMs);
    while (Date.now() < until) {
      if (stopping || !payload.isRunning() || payload.isStale()) throw new StopRequested();
      await new Promise((r) => setTimeout(r, Math.min(200, until - Date.now())));
      await payload.heartbeat().catch(() => undefined);
    }
  }

  async function handleOne(message: ConsumedMessage, payload: EachBatchPayload): Promise<OutgoingMessage[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        const outputs = await options.handle(message);
        runnerMessages.inc({ service, topic: message.topic, outcome: 'ok' });
        return outputs;
      } catch (err) {
        if (err instanceof PoisonMessageError) {
          runnerMessages.inc({ service, topic: message.topic, outcome: 'dlq' });
          logger.warn(
            {
              topic: message.topic,
              partition: message.partition,
              offset: message.offset,
              error: err.message,
            },
            'poison record sent to the DLQ',
          );
          return [deadLetter(message, options.dlqTopic, service, err.errorClass, err.message)];
        }
        runnerRetries.inc({ service, stage: 'handle' });
        logger.warn(
          { topic: message.topic, partition: message.partition, offset: message.offset, attempt, err },
          'handler failed; retrying',
        );
        await pause(attempt, payload);
      }
    }
  }

  async function runAfterChunk(
    afterChunk: (messages: ConsumedMessage[]) => Promise<OutgoingMessage[] | void>,
    messages: ConsumedMessage[],
    payload: EachBatchPayload,
  ): Promise<OutgoingMessage[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await afterChunk(messages)) ?? [];
      } catch (err) {
        runnerRetries.inc({ service, stage: 'after-chunk' });
        logger.warn({ attempt, err }, 'after-chunk step failed; retrying');
        await pause(attempt, payload);
      }
    }
  }

  async function sendOutputs(outputs: OutgoingMessage[], payload: EachBatchPayload): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await options.producer.send(outputs);
        return;
      } catch (err) {
        runnerRetries.inc({ service, stage: 'send' });
        logger.warn({ attempt, count: outputs.length, err }, 'sending outputs failed; retrying');
        await pause(attempt, payload);
      }
    }
  }

  async function processChunk(batchMessages: KafkaMessage[], payload: EachBatchPayload): Promise<void> {
    const { topic, partition } = payload.batch;
    const started = process.hrtime.bigint();
    const messages = batchMessages.map((m) => toConsumed(topic, partition, m));
    const outputs: OutgoingMessage[][] = new Array(messages.length);
    await forEachWithConcurrency(groupByKey(messages), options.keyConcurrency, async (group) => {
      for (const { index, message } of group) outputs[index] = await handleOne(message, payload);
    });
    const extra = options.afterChunk ? await runAfterChunk(options.afterChunk, messages, payload) : [];
    // Offset order keeps each key's outputs in the order its inputs came.
    const flat = [...outputs.flat(), ...extra];
    await sendOutputs(options.compactOutputs ? options.compactOutputs(flat) : flat, payload);
    if (options.afterSend) {
      await options.afterSend(messages).catch((err: unknown) => {
        logger.warn({ topic, partition, err }, 'after-send step failed; its state expires on its own');
      });
    }
    const last = messages[messages.length - 1] as ConsumedMessage;
    payload.resolveOffset(last.offset);
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic, partitions: [{ partition, offset: (BigInt(last.offset) + 1n).toString() }] }],
    });
    runnerChunkSeconds.observe({ service }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const all = payload.batch.messages;
    for (let start = 0; start < all.length; start += chunkSize) {
      if (stopping || !payload.isRunning() || payload.isStale()) return;
      try {
        await processChunk(all.slice(start, start + chunkSize), payload);
      } catch (err) {
        // Uncommitted records are redelivered to whoever owns the partition next.
        if (err instanceof StopRequested) return;
        throw err;
      }
      await payload.heartbeat();
    }
  }

  await consumer.connect();
  await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.partitionsConcurrently,
    eachBatch,
  });
  logger.info({ groupId: options.groupId, topics: options.topics }, 'consumer runner started');

  return {
    async stop() {
      stopping = true;
      // disconnect() waits for the batch in hand; our loops return at the next chunk or retry boundary.
      await consumer.disconnect();
      logger.info({ groupId: options.groupId }, 'consumer runner stopped');
    },
  };
}
