// The one consumer loop every service uses: kafkajs's eachBatch adapted to the chunk logic of
// chunk-processor.ts, the group session kept alive while a chunk is in flight, and the consumer's
// state (connected, member, partitions, retrying) for the health endpoint. kafkajs stays behind this.
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from '../logger';
import { reportRetrying, runnerChunkSeconds } from '../metrics/registry';
import type { ConsumedMessage } from './consumed-message';
import { processChunk, type ChunkHooks, type ChunkSource } from './chunk-processor';
import type { Kafka } from './kafka-client';
import { DEFAULT_MAX_REQUEST_BYTES, type MessageProducer } from './producer';
import { RetryClock, type RetryingSince } from './retry-clock';

export type { MessageHandler } from './chunk-processor';

export interface ConsumerRunnerOptions extends ChunkHooks {
  kafka: Kafka;
  producer: MessageProducer;
  logger: Logger;
  service: string;
  groupId: string;
  topics: string[];
  dlqTopic: string;
  keyConcurrency: number;
  partitionsConcurrently: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** Records handled, sent and committed together; bounds memory and redelivery after a crash. */
  chunkSize?: number;
  /** A new consumer group starts at the earliest offset so nothing published before it is missed. */
  fromBeginning?: boolean;
  /** Failures of an unknown class on one record before it is dead-lettered (default 10). */
  maxUnknownFailures?: number;
  /** Bytes per produce request (default 1,000,000, below the broker's 1 MB `message.max.bytes`). */
  maxRequestBytes?: number;
  /** The group session (kafkajs default 30 s); tests use the broker's minimum to provoke expiry. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** How often a partition that keeps retrying is logged (default 30 s). */
  retryLogIntervalMs?: number;
}

export interface RunnerState {
  connected: boolean;
  /** Joined the group and not rebalancing. */
  member: boolean;
  /** The assignment of the last join, by topic; empty when there are more members than partitions. */
  partitions: Record<string, number[]>;
  retrying: RetryingSince[];
  /** kafkajs gave up restarting after a crash: the process needs a restart. */
  crashed: boolean;
  /** Group joins so far: more than one means the member rebalanced or lost its session. */
  joins: number;
}

export interface ConsumerRunner {
  /** Stops fetching, lets the chunk in hand finish (or abandons it uncommitted), commits, disconnects. */
  stop(): Promise<void>;
  state(): RunnerState;
}

/** Heartbeat errors after which this member no longer owns what it was given. */
const MEMBERSHIP_LOST = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'FENCED_INSTANCE_ID']);

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
  const clock = new RetryClock();
  const state: RunnerState = {
    connected: false,
    member: false,
    partitions: {},
    retrying: [],
    crashed: false,
    joins: 0,
  };
  let stopping = false;

  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: options.heartbeatIntervalMs,
    // Offsets are committed only by us, after outputs are acknowledged.
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
  const { CONNECT, DISCONNECT, GROUP_JOIN, REBALANCING, CRASH } = consumer.events;
  consumer.on(CONNECT, () => (state.connected = true));
  consumer.on(DISCONNECT, () => {
    state.connected = false;
    state.member = false;
  });
  consumer.on(GROUP_JOIN, (e) => {
    state.member = true;
    state.joins++;
    state.partitions = e.payload.memberAssignment;
  });
  consumer.on(REBALANCING, () => (state.member = false));
  consumer.on(CRASH, (e) => {
    state.member = false;
    if (!e.payload.restart) state.crashed = true;
  });

  /** Keeps the session alive while a handler call or a flush is in flight, not only between retries. */
  const keepAliveMs = Math.max(100, Math.floor((options.heartbeatIntervalMs ?? 3000) / 2));

  function sourceOf(payload: EachBatchPayload): ChunkSource & { close(): void } {
    const { topic, partition } = payload.batch;
    let lost = false;
    let rebalancing = false;
    const heartbeat = async (): Promise<void> => {
      try {
        await payload.heartbeat();
      } catch (err) {
        const type = (err as { type?: unknown }).type;
        if (type === 'REBALANCE_IN_PROGRESS') rebalancing = true;
        else if (typeof type === 'string' && MEMBERSHIP_LOST.has(type)) lost = true;
        else throw err;
      }
    };
    const ownsPartition = () => !lost && payload.isRunning() && !payload.isStale();
    const timer = setInterval(() => void heartbeat().catch(() => undefined), keepAliveMs);
    timer.unref();
    return {
      topic,
      partition,
      // A rebalance wants this member back quickly: stop waiting, finish what is done, rejoin.
      isActive: () => !stopping && !rebalancing && ownsPartition(),
      ownsPartition,
      heartbeat,
      commit: async (lastOffset) => {
        payload.resolveOffset(lastOffset);
        await payload.commitOffsetsIfNecessary({
          topics: [{ topic, partitions: [{ partition, offset: (BigInt(lastOffset) + 1n).toString() }] }],
        });
      },
      close: () => clearInterval(timer),
    };
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { topic, partition, messages: all } = payload.batch;
    const source = sourceOf(payload);
    try {
      for (let start = 0; start < all.length; start += chunkSize) {
        if (!source.isActive()) return;
        const started = process.hrtime.bigint();
        const chunk = all.slice(start, start + chunkSize).map((m) => toConsumed(topic, partition, m));
        const result = await processChunk(chunk, source, {
          ...options,
          send: (messages) => options.producer.send(messages),
          maxUnknownFailures: options.maxUnknownFailures ?? 10,
          maxRequestBytes: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
          clock,
        });
        if (result === 'abandoned') return;
        runnerChunkSeconds.observe({ service }, Number(process.hrtime.bigint() - started) / 1e9);
        await source.heartbeat();
      }
    } finally {
      source.close();
    }
  }

  const stopReporting = reportRetrying(() => clock.retrying().map((r) => ({ service, ...r })));
  const retryLog = setInterval(() => {
    const retrying = clock.retrying();
    if (retrying.length > 0) logger.warn({ retrying }, 'partitions still retrying the same chunk');
  }, options.retryLogIntervalMs ?? 30_000);
  retryLog.unref();

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConcurrently,
      eachBatch,
    });
  } catch (err) {
    clearInterval(retryLog);
    stopReporting();
    await consumer.disconnect().catch(() => undefined);
    throw err;
  }
  logger.info({ groupId: options.groupId, topics: options.topics }, 'consumer runner started');

  return {
    async stop() {
      stopping = true;
      clearInterval(retryLog);
      // disconnect() waits for the batch in hand; our loops return at the next chunk or retry boundary.
      await consumer.disconnect();
      stopReporting();
      logger.info({ groupId: options.groupId }, 'consumer runner stopped');
    },
    state: () => ({ ...state, retrying: clock.retrying() }),
  };
}
