// The runner against the real broker at its limits: more than message.max.bytes of outputs to one
// partition in one chunk, an output too large for any request, and a handler call that outlasts the
// group session.
import { startConsumerRunner, type ConsumerRunner } from '../../../services/common/kafka/consumer-runner';
import { DLQ_HEADERS } from '../../../services/common/kafka/dead-letter';
import { createProducer, type MessageProducer } from '../../../services/common/kafka/producer';
import { createLogger } from '../../../services/common/logger';
import {
  committedOffsets,
  createTopics,
  deleteTopics,
  readTopic,
  testKafka,
  uniqueName,
  waitFor,
} from '../../support/real-stack';

jest.setTimeout(120_000);

const kafka = testKafka();
const logger = createLogger('runner-limits-test', 'silent');
const created: string[] = [];

async function topics(...prefixes: string[]): Promise<string[]> {
  const names = prefixes.map((p) => uniqueName(`test.runner-limits.${p}`));
  created.push(...names);
  await createTopics(kafka, names, 1);
  return names;
}

let producer: MessageProducer;
let runner: ConsumerRunner | undefined;
beforeAll(async () => {
  producer = await createProducer(kafka);
});
afterEach(async () => {
  await runner?.stop();
  runner = undefined;
});
afterAll(async () => {
  await producer.disconnect();
  await deleteTopics(kafka, created);
});

function runnerOptions(groupId: string, input: string, dlq: string) {
  return {
    kafka,
    producer,
    logger,
    service: 'runner-limits-test',
    groupId,
    topics: [input],
    dlqTopic: dlq,
    keyConcurrency: 4,
    partitionsConcurrently: 1,
    retryInitialMs: 20,
    retryMaxMs: 200,
  };
}

it('sends more than 1 MB of outputs to one partition in order and dead-letters an output too large alone', async () => {
  const [input, output, dlq] = await topics('in', 'out', 'dlq');
  const inputs = ['a', 'b', 'huge', 'c', 'd', 'e'];
  await producer.send(inputs.map((v) => ({ topic: input!, key: 'one-key', value: Buffer.from(v) })));
  const groupId = uniqueName('g');
  runner = await startConsumerRunner({
    ...runnerOptions(groupId, input!, dlq!),
    // One chunk: 5 x 400 KB = 2 MB to a single partition, refused by the broker if sent as one request.
    chunkSize: 100,
    handle: async (m) => {
      const v = m.value!.toString();
      const size = v === 'huge' ? 1_200_000 : 400_000;
      return [
        { topic: output!, key: m.key, value: Buffer.concat([Buffer.from(`${v}:`), Buffer.alloc(size)]) },
      ];
    },
  });
  const out = await readTopic(kafka, output!, 5, 60_000);
  expect(out.map((r) => r.value!.subarray(0, 2).toString())).toEqual(['a:', 'b:', 'c:', 'd:', 'e:']);
  const [dead] = await readTopic(kafka, dlq!, 1);
  expect(dead?.value?.toString()).toBe('huge');
  expect(dead?.headers[DLQ_HEADERS.errorClass]).toBe('OutputTooLarge');
  expect(dead?.headers[DLQ_HEADERS.errorMessage]).toMatch(/exceeds the send limit/);
  await waitFor('commit of every input', async () =>
    (await committedOffsets(kafka, groupId, input!)).get(0) === inputs.length ? true : undefined,
  );
});

it('keeps its group membership through a handler call longer than the session, without duplicates', async () => {
  const [input, output, dlq] = await topics('in', 'out', 'dlq');
  const total = 5;
  await producer.send(
    Array.from({ length: total }, (_, i) => ({ topic: input!, key: `k${i}`, value: Buffer.from(String(i)) })),
  );
  const groupId = uniqueName('g');
  let blocked = false;
  runner = await startConsumerRunner({
    ...runnerOptions(groupId, input!, dlq!),
    // The broker's minimum session; the first call waits well past it, as a stalled Redis would.
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 1_000,
    handle: async (m) => {
      if (!blocked) {
        blocked = true;
        await new Promise((r) => setTimeout(r, 10_000));
      }
      return [{ topic: output!, key: m.key, value: m.value }];
    },
  });
  await waitFor(
    'commit of every input',
    async () => ((await committedOffsets(kafka, groupId, input!)).get(0) === total ? true : undefined),
    60_000,
  );
  // Everything committed: a member that had lost its session would have redone the chunk.
  const out = await readTopic(kafka, output!, total + 1, 3_000);
  expect(out.map((r) => r.value!.toString()).sort()).toEqual(['0', '1', '2', '3', '4']);
  expect(runner.state()).toMatchObject({ member: true, joins: 1 });
});
