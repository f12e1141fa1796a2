// The runner's afterChunk hook against real Kafka: it runs after the chunk's records were handled,
// a failure is retried while nothing is committed, and the commit follows its success.
import { startConsumerRunner, type ConsumerRunner } from '../../../services/common/kafka/consumer-runner';
import { createProducer, type MessageProducer } from '../../../services/common/kafka/producer';
import { createLogger } from '../../../services/common/logger';
import {
  committedOffsets,
  createTopics,
  deleteTopics,
  testKafka,
  uniqueName,
  waitFor,
} from '../../support/real-stack';

const kafka = testKafka();
const logger = createLogger('runner-after-chunk-test', 'silent');
const input = uniqueName('test.runner.after-chunk.in');
const dlq = uniqueName('test.runner.after-chunk.dlq');

let producer: MessageProducer;
let runner: ConsumerRunner | undefined;
beforeAll(async () => {
  await createTopics(kafka, [input, dlq], 1);
  producer = await createProducer(kafka);
});
afterAll(async () => {
  await runner?.stop();
  await producer.disconnect();
  await deleteTopics(kafka, [input, dlq]);
});

async function committed(groupId: string): Promise<number> {
  return (await committedOffsets(kafka, groupId, input)).get(0) ?? -1;
}

it('commits a chunk only after afterChunk succeeded, retrying its failures', async () => {
  await producer.send(
    Array.from({ length: 5 }, (_, i) => ({ topic: input, key: `k${i}`, value: Buffer.from(String(i)) })),
  );
  const groupId = uniqueName('g');
  const handled: string[] = [];
  const seenByHook: number[] = [];
  let failuresLeft = 3;
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  runner = await startConsumerRunner({
    kafka,
    producer,
    logger,
    service: 'runner-test',
    groupId,
    topics: [input],
    dlqTopic: dlq,
    keyConcurrency: 4,
    partitionsConcurrently: 1,
    retryInitialMs: 20,
    retryMaxMs: 100,
    handle: async (m) => {
      handled.push(m.value!.toString());
      return [];
    },
    afterChunk: async () => {
      seenByHook.push(handled.length);
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error('store down');
      }
      // Hold the successful flush until the test checked that nothing was committed yet.
      await released;
    },
  });
  await waitFor('three failed attempts and a fourth in progress', async () =>
    seenByHook.length >= 4 ? true : undefined,
  );
  expect(await committed(groupId)).toBe(-1);
  // Every attempt saw the whole chunk handled; the handler ran once per record (no re-handling).
  expect(seenByHook.every((n) => n === 5)).toBe(true);
  expect(handled).toHaveLength(5);
  release();
  await waitFor('commit after the hook succeeded', async () =>
    (await committed(groupId)) === 5 ? true : undefined,
  );
});
