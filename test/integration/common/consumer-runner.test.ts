// The runner against real Kafka: DLQ for poison records, per-key order, commit-after-ack, drain on SIGTERM.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PoisonMessageError } from '../../../services/common/kafka/consumed-message';
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

const kafka = testKafka();
const logger = createLogger('runner-test', 'silent');
const created: string[] = [];

async function topics(...prefixes: string[]): Promise<string[]> {
  const names = prefixes.map((p) => uniqueName(`test.runner.${p}`));
  created.push(...names);
  await createTopics(kafka, names, 3);
  return names;
}

let producer: MessageProducer;
beforeAll(async () => {
  producer = await createProducer(kafka);
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
    service: 'runner-test',
    groupId,
    topics: [input],
    dlqTopic: dlq,
    keyConcurrency: 8,
    partitionsConcurrently: 3,
    retryInitialMs: 20,
    retryMaxMs: 200,
  };
}

describe('consumer runner', () => {
  let runner: ConsumerRunner | undefined;
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
  });

  it('sends a poison record to the DLQ with its reason and keeps processing the next ones', async () => {
    const [input, output, dlq] = await topics('in', 'out', 'dlq');
    await producer.send([
      { topic: input, key: 'k', value: Buffer.from('good-1') },
      { topic: input, key: 'k', value: Buffer.from('poison'), headers: { trace: 'abc' } },
      { topic: input, key: 'k', value: Buffer.from('good-2') },
    ]);
    const groupId = uniqueName('g');
    runner = await startConsumerRunner({
      ...runnerOptions(groupId, input!, dlq!),
      handle: async (m) => {
        if (m.value?.toString() === 'poison') throw new PoisonMessageError('value is poison', 'TestPoison');
        return [{ topic: output!, key: m.key, value: m.value }];
      },
    });
    const outputs = await readTopic(kafka, output!, 2);
    expect(outputs.map((r) => r.value?.toString())).toEqual(['good-1', 'good-2']);
    const [dead] = await readTopic(kafka, dlq!, 1);
    expect(dead?.value?.toString()).toBe('poison');
    expect(dead?.key).toBe('k');
    expect(dead?.headers).toMatchObject({
      trace: 'abc',
      [DLQ_HEADERS.errorClass]: 'TestPoison',
      [DLQ_HEADERS.errorMessage]: 'value is poison',
      [DLQ_HEADERS.sourceTopic]: input,
      [DLQ_HEADERS.sourceOffset]: '1',
      [DLQ_HEADERS.service]: 'runner-test',
    });
    const committed = await waitFor('commit of all three', async () => {
      const offsets = await committedOffsets(kafka, groupId, input!);
      return [...offsets.values()].includes(3) ? offsets : undefined;
    });
    expect([...committed.values()].filter((o) => o > 0)).toEqual([3]);
  });

  it('retries a transient failure instead of dropping or dead-lettering the record', async () => {
    const [input, output, dlq] = await topics('in', 'out', 'dlq');
    await producer.send([{ topic: input!, key: 'k', value: Buffer.from('flaky') }]);
    let attempts = 0;
    runner = await startConsumerRunner({
      ...runnerOptions(uniqueName('g'), input!, dlq!),
      handle: async (m) => {
        attempts++;
        if (attempts < 3) throw new Error('dependency down');
        return [{ topic: output!, key: m.key, value: m.value }];
      },
    });
    const [out] = await readTopic(kafka, output!, 1);
    expect(out?.value?.toString()).toBe('flaky');
    expect(attempts).toBe(3);
    expect(await readTopic(kafka, dlq!, 1, 2000)).toEqual([]);
  });

  it('keeps per-key order while keys run concurrently', async () => {
    const [input, output, dlq] = await topics('in', 'out', 'dlq');
    const keys = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
    const perKey = 40;
    const messages = [];
    for (let i = 0; i < perKey; i++) {
      for (const key of keys) messages.push({ topic: input!, key, value: Buffer.from(`${key}:${i}`) });
    }
    await producer.send(messages);
    let inFlight = 0;
    let peak = 0;
    runner = await startConsumerRunner({
      ...runnerOptions(uniqueName('g'), input!, dlq!),
      handle: async (m) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        // Random delays would reorder a key's records if the runner did not serialize them.
        await new Promise((r) => setTimeout(r, Math.random() * 4));
        inFlight--;
        return [{ topic: output!, key: m.key, value: m.value }];
      },
    });
    const out = await readTopic(kafka, output!, messages.length, 60_000);
    expect(out).toHaveLength(messages.length);
    for (const key of keys) {
      const seq = out.filter((r) => r.key === key).map((r) => Number(r.value!.toString().split(':')[1]));
      expect(seq).toEqual([...Array(perKey).keys()]);
    }
    expect(peak).toBeGreaterThan(1);
  });

  it('drains on SIGTERM: committed offsets match the outputs, and a restart loses and repeats nothing', async () => {
    const [input, output] = await topics('in', 'out');
    const total = 60;
    await producer.send(
      Array.from({ length: total }, (_, i) => ({
        topic: input!,
        key: `k${i % 7}`,
        value: Buffer.from(String(i)),
      })),
    );
    const groupId = uniqueName('g');
    const child = (delayMs: number) =>
      spawn(
        process.execPath,
        [
          require.resolve('tsx/cli'),
          path.join(__dirname, '../../support/runner-child.ts'),
          input!,
          output!,
          groupId,
          String(delayMs),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'], env: process.env },
      );

    const first = child(40);
    let firstOut = '';
    first.stdout!.on('data', (d: Buffer) => (firstOut += d.toString()));
    await waitFor(
      'first record handled',
      async () => (firstOut.includes('handling') ? true : undefined),
      60_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    first.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => first.on('exit', resolve));
    expect(code).toBe(0);
    expect(firstOut).toContain('stopped');

    const committedAfterStop = [...(await committedOffsets(kafka, groupId, input!)).values()]
      .filter((o) => o > 0)
      .reduce((a, b) => a + b, 0);
    const outputsAfterStop = await readTopic(kafka, output!, total, 3000);
    expect(committedAfterStop).toBeGreaterThan(0);
    expect(committedAfterStop).toBeLessThan(total);
    expect(outputsAfterStop).toHaveLength(committedAfterStop);

    const second = child(0);
    const all = await readTopic(kafka, output!, total, 60_000);
    second.kill('SIGTERM');
    await new Promise((resolve) => second.on('exit', resolve));
    const values = all.map((r) => Number(r.value!.toString())).sort((a, b) => a - b);
    expect(values).toEqual([...Array(total).keys()]);
  });
});
