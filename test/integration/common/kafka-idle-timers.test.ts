// kafkajs 2.2.4 re-arms its pending-request check on every broker connection after each request,
// pending or not, with a negative delay that Node turns into 1 ms: a timer loop per connection in
// every service, for ever (kafkajs#1704). patches/kafkajs+2.2.4.patch (applied by npm's
// postinstall) arms the check only when a request waits. Counted here on a real broker: the
// timers of under 1 ms an idle, connected producer arms in one second.
import { testKafka, uniqueName, createTopics, deleteTopics } from '../../support/real-stack';

const kafka = testKafka();
const topic = uniqueName('test.idle-timers');

beforeAll(() => createTopics(kafka, [topic]));
afterAll(() => deleteTopics(kafka, [topic]));

test('an idle connected producer arms no timer loop', async () => {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ value: 'x' }] });
  const original = global.setTimeout;
  const wait = (ms: number) => new Promise((resolve) => original(resolve, ms));
  let immediate = 0;
  global.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    if (typeof ms !== 'number' || ms < 1) immediate += 1;
    return original(() => fn(...args), ms);
  }) as typeof setTimeout;
  try {
    await wait(1000);
  } finally {
    global.setTimeout = original;
    await producer.disconnect();
  }
  // Unpatched: about a thousand per connection.
  expect(immediate).toBeLessThan(20);
});
