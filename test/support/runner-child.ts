// A consumer-runner process for the shutdown test: echoes each record to an output topic, slowly,
// and prints a line when it has handled its first record so the test knows when to signal it.
import { loadConfig } from '../../services/common/config';
import { createKafka } from '../../services/common/kafka/kafka-client';
import { startConsumerRunner } from '../../services/common/kafka/consumer-runner';
import { createProducer } from '../../services/common/kafka/producer';
import { createLogger } from '../../services/common/logger';

async function main(): Promise<void> {
  const [input, output, groupId, delayMs] = process.argv.slice(2) as [string, string, string, string];
  const config = loadConfig();
  const kafka = createKafka(config, `runner-child-${process.pid}`);
  const producer = await createProducer(kafka);
  let announced = false;
  const runner = await startConsumerRunner({
    kafka,
    producer,
    logger: createLogger('runner-child', 'warn'),
    service: 'runner-child',
    groupId,
    topics: [input],
    dlqTopic: `${input}.dlq`,
    keyConcurrency: 4,
    partitionsConcurrently: 1,
    retryInitialMs: 50,
    retryMaxMs: 500,
    chunkSize: 5,
    handle: async (message) => {
      await new Promise((r) => setTimeout(r, Number(delayMs)));
      if (!announced) {
        announced = true;
        process.stdout.write('handling\n');
      }
      return [{ topic: output, key: message.key, value: message.value }];
    },
  });
  const stop = async () => {
    await runner.stop();
    await producer.disconnect();
    process.stdout.write('stopped\n');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

void main();
