// Starts any stream processor on topics, a consumer group and (for the caller to pass) options of
// its own: every input, output and DLQ topic gets a unique name and is created before the start.
import type { Config } from '../../services/common/config';
import type { Kafka } from '../../services/common/kafka/kafka-client';
import { createLogger } from '../../services/common/logger';
import type {
  ProcessorTopics,
  RunningProcessor,
  StreamProcessor,
} from '../../services/common/runtime/stream-processor';
import { config as stackConfig, createTopics, deleteTopics, uniqueName } from './real-stack';

export interface TestProcessor<In extends string, Out extends string> {
  topics: ProcessorTopics<In, Out>;
  groupId: string;
  running: RunningProcessor;
  /** Stops the processor and deletes its topics. */
  stop(): Promise<void>;
}

export interface TestProcessorOptions<O> {
  options?: O;
  /** Partitions of the input topics (outputs and DLQ get 3). */
  inputPartitions?: number;
  /** Settings over the shared stack's, e.g. short retries or a private Redis. */
  config?: Partial<Config>;
}

/** Unique names for every topic a processor reads or writes, created on the real broker. */
export async function privateTopics<In extends string, Out extends string, O>(
  kafka: Kafka,
  processor: StreamProcessor<In, Out, O>,
  inputPartitions = 3,
): Promise<ProcessorTopics<In, Out>> {
  const rename = <K extends string>(roles: Record<K, string>): Record<K, string> =>
    Object.fromEntries(
      Object.keys(roles).map((role) => [role, uniqueName(`test.${processor.name}.${role}`)]),
    ) as Record<K, string>;
  const { inputs, outputs } = processor.topicsFor();
  const topics = {
    inputs: rename(inputs),
    outputs: rename(outputs),
    dlq: uniqueName(`test.${processor.name}.dlq`),
  };
  await createTopics(kafka, Object.values<string>(topics.inputs), inputPartitions);
  await createTopics(kafka, [...Object.values<string>(topics.outputs), topics.dlq], 3);
  return topics;
}

export async function startTestProcessor<In extends string, Out extends string, O>(
  kafka: Kafka,
  processor: StreamProcessor<In, Out, O>,
  options: TestProcessorOptions<O> = {},
): Promise<TestProcessor<In, Out>> {
  const topics = await privateTopics(kafka, processor, options.inputPartitions);
  const all = [...Object.values<string>(topics.inputs), ...Object.values<string>(topics.outputs), topics.dlq];
  const groupId = uniqueName(`test.${processor.name}.group`);
  let running: RunningProcessor;
  try {
    running = await processor.startWith(
      { ...stackConfig, CDP_RETRY_INITIAL_MS: 20, CDP_RETRY_MAX_MS: 500, ...options.config },
      createLogger(`${processor.name}-test`, process.env.CDP_LOG_LEVEL ?? 'silent'),
      { topics, groupId, options: options.options },
    );
  } catch (err) {
    await deleteTopics(kafka, all);
    throw err;
  }
  return {
    topics,
    groupId,
    running,
    stop: async () => {
      await running.stop();
      await deleteTopics(kafka, all);
    },
  };
}
