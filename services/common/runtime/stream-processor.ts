// The one processor frame: a stream processor declares its topics and builds its handler; the frame
// checks the stack, opens Kafka, the producer and the runner, closes everything in the right order
// and reports the consumer's real state to /healthz. Steps after this one add processors with it.
import type { Config } from '../config';
import type { ChunkHooks } from '../kafka/chunk-processor';
import { startConsumerRunner, type ConsumerRunner } from '../kafka/consumer-runner';
import { createKafka, type Kafka } from '../kafka/kafka-client';
import { createProducer, type MessageProducer } from '../kafka/producer';
import type { Logger } from '../logger';
import type { HealthReport, RunningService, ServiceDefinition } from './service-definition';
import { requireTopics } from './startup-checks';

export interface ProcessorTopics<In extends string, Out extends string> {
  /** Topics read, by role (the handler tells records apart by topic). */
  inputs: Record<In, string>;
  /** Topics written, by role. */
  outputs: Record<Out, string>;
  /** Where records that can never succeed go, with their original bytes and the reason. */
  dlq: string;
}

/** Connections a processor opens for itself; closed in reverse order after the runner and producer. */
export interface Resources {
  add<T>(name: string, resource: T, close: (resource: T) => Promise<unknown> | void): T;
}

export interface SetupContext<In extends string, Out extends string, O> {
  config: Config;
  logger: Logger;
  topics: ProcessorTopics<In, Out>;
  options: O;
  resources: Resources;
  /** The processor's own producer, for steps that write outside a chunk's outputs (e.g. a guard). */
  producer: MessageProducer;
}

/** What a processor's setup returns: its per-record handler and chunk hooks, and its own health. */
export interface ProcessorParts extends ChunkHooks {
  /** The processor's dependencies (e.g. Redis ready); the frame adds the consumer's state. */
  health?: () => Promise<HealthReport>;
}

export interface StreamProcessorSpec<In extends string, Out extends string, O> extends ProcessorTopics<
  In,
  Out
> {
  name: string;
  description: string;
  defaultOpsPort: number;
  groupId: string;
  /** Records handled, sent and committed together (default 500). */
  chunkSize?: number;
  /**
   * Opens the processor's resources (register each with `resources.add` as soon as it is open, so a
   * later failure closes it) and builds its handler. A StartupCheckError stops start-up with its line.
   */
  setup(ctx: SetupContext<In, Out, O>): Promise<ProcessorParts>;
}

/** How a test (or a second deployment) runs a processor on topics and a group of its own. */
export interface ProcessorStart<In extends string, Out extends string, O> {
  topics?: { inputs?: Partial<Record<In, string>>; outputs?: Partial<Record<Out, string>>; dlq?: string };
  groupId?: string;
  options?: O;
}

export interface RunningProcessor extends RunningService {
  health(): Promise<HealthReport>;
  runner: ConsumerRunner;
}

export interface StreamProcessor<In extends string, Out extends string, O> extends ServiceDefinition {
  spec: StreamProcessorSpec<In, Out, O>;
  /** The topics a start with these overrides uses. */
  topicsFor(start?: ProcessorStart<In, Out, O>): ProcessorTopics<In, Out>;
  startWith(config: Config, logger: Logger, start?: ProcessorStart<In, Out, O>): Promise<RunningProcessor>;
}

function resourceStack(logger: Logger): Resources & { closeAll(): Promise<void> } {
  const open: { name: string; close: () => Promise<unknown> | void }[] = [];
  return {
    add(name, resource, close) {
      open.push({ name, close: () => close(resource) });
      return resource;
    },
    async closeAll() {
      for (const { name, close } of open.splice(0).reverse()) {
        try {
          await close();
        } catch (err) {
          logger.warn({ resource: name, err }, 'closing a resource failed');
        }
      }
    },
  };
}

export function defineStreamProcessor<In extends string, Out extends string, O = Record<string, never>>(
  spec: StreamProcessorSpec<In, Out, O>,
): StreamProcessor<In, Out, O> {
  const topicsFor = (start: ProcessorStart<In, Out, O> = {}): ProcessorTopics<In, Out> => ({
    inputs: { ...spec.inputs, ...start.topics?.inputs } as Record<In, string>,
    outputs: { ...spec.outputs, ...start.topics?.outputs } as Record<Out, string>,
    dlq: start.topics?.dlq ?? spec.dlq,
  });

  async function startWith(
    config: Config,
    logger: Logger,
    start: ProcessorStart<In, Out, O> = {},
  ): Promise<RunningProcessor> {
    const topics = topicsFor(start);
    const kafka: Kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-${spec.name}`);
    await requireTopics(kafka, [
      ...Object.values<string>(topics.inputs),
      ...Object.values<string>(topics.outputs),
      topics.dlq,
    ]);
    const resources = resourceStack(logger);
    let producer: MessageProducer | undefined;
    let runner: ConsumerRunner;
    let parts: ProcessorParts;
    try {
      producer = await createProducer(kafka, { maxRequestBytes: config.CDP_KAFKA_MAX_REQUEST_BYTES });
      const options = start.options ?? ({} as O);
      parts = await spec.setup({ config, logger, topics, options, resources, producer });
      runner = await startConsumerRunner({
        handle: parts.handle,
        afterChunk: parts.afterChunk,
        afterSend: parts.afterSend,
        compactOutputs: parts.compactOutputs,
        kafka,
        producer,
        logger,
        service: spec.name,
        groupId: start.groupId ?? spec.groupId,
        topics: Object.values<string>(topics.inputs),
        dlqTopic: topics.dlq,
        chunkSize: spec.chunkSize,
        keyConcurrency: config.CDP_KEY_CONCURRENCY,
        partitionsConcurrently: config.CDP_PARTITIONS_CONCURRENTLY,
        retryInitialMs: config.CDP_RETRY_INITIAL_MS,
        retryMaxMs: config.CDP_RETRY_MAX_MS,
        maxUnknownFailures: config.CDP_RUNNER_MAX_UNKNOWN_FAILURES,
        maxRequestBytes: config.CDP_KAFKA_MAX_REQUEST_BYTES,
        sessionTimeoutMs: config.CDP_KAFKA_SESSION_TIMEOUT_MS,
        // kafkajs's default ratio: three heartbeats per session.
        heartbeatIntervalMs: Math.max(100, Math.floor(config.CDP_KAFKA_SESSION_TIMEOUT_MS / 10)),
      });
    } catch (err) {
      await producer?.disconnect().catch(() => undefined);
      await resources.closeAll();
      throw err;
    }
    const started = runner;
    const sender = producer;

    async function health(): Promise<HealthReport> {
      const consumer = started.state();
      const own = parts.health
        ? await parts.health().catch((err: unknown) => ({ ok: false, detail: { error: String(err) } }))
        : { ok: true };
      return {
        // Retrying is reported, not failed: a dependency outage is not fixed by restarting us.
        ok: consumer.connected && consumer.member && !consumer.crashed && own.ok,
        detail: {
          consumer: {
            connected: consumer.connected,
            member: consumer.member,
            partitions: consumer.partitions,
            retrying: consumer.retrying,
            crashed: consumer.crashed,
            joins: consumer.joins,
          },
          ...own.detail,
        },
      };
    }

    return {
      runner: started,
      // The runner commits only after the producer acknowledged; resources it used go after both.
      stop: async () => {
        await started.stop();
        await sender.disconnect();
        await resources.closeAll();
      },
      health,
      healthy: async () => (await health()).ok,
    };
  }

  return {
    spec,
    name: spec.name,
    description: spec.description,
    defaultOpsPort: spec.defaultOpsPort,
    topicsFor,
    startWith,
    start: (config, logger) => startWith(config, logger),
  };
}
