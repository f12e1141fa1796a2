// Kafka stalled (the broker process stopped with SIGSTOP: connections open, no answers): the request
// in flight waits, the next ones queue up to CDP_COLLECTOR_MAX_QUEUED_BYTES, and the rest are
// answered 503 "collector queue full" with Retry-After at once, so the collector's memory stays
// bounded. Kafka back: every request answered 200 is in the topic, none answered 503 is.
import { createKafka } from '../../../services/common/kafka/kafka-client';
import { createLogger } from '../../../services/common/logger';
import { startCollector, type RunningCollector } from '../../../services/collector/main';
import { createPrivateKafka, type PrivateKafka } from '../../support/private-kafka';
import { config, createTopics, uniqueName } from '../../support/real-stack';
import { readRawEvents, recordCount } from '../../support/raw-events';

jest.setTimeout(240_000);

let broker: PrivateKafka;
let collector: RunningCollector | undefined;
const topic = uniqueName('cdp.events.raw.v1.queue-full');

beforeAll(async () => {
  broker = await createPrivateKafka();
  await broker.start();
});

afterAll(async () => {
  broker?.resume();
  await collector?.stop().catch(() => undefined);
  await broker?.destroy();
});

const auth = {
  authorization: `Basic ${Buffer.from('demo-write-key:').toString('base64')}`,
  'content-type': 'application/json',
};

it('answers 503 queue full beyond its bound while Kafka stalls, and writes every event it answered 200', async () => {
  const brokerConfig = { ...config, CDP_KAFKA_BROKERS: broker.brokers };
  const kafka = createKafka(brokerConfig, uniqueName('queue-full-test'));
  await createTopics(kafka, [topic], 1);
  collector = await startCollector(
    {
      ...brokerConfig,
      CDP_COLLECTOR_PORT: 0,
      CDP_COLLECTOR_PRODUCE_TIMEOUT_MS: 30_000,
      CDP_COLLECTOR_RETRY_AFTER_SECONDS: 2,
      // About four requests of the ones below.
      CDP_COLLECTOR_MAX_QUEUED_BYTES: 4096,
    },
    createLogger('collector-test', 'silent'),
    { topic },
  );
  const post = (messageId: string) =>
    fetch(`http://127.0.0.1:${collector!.port}/v1/track`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        userId: 'u-queue',
        event: 'Queued',
        messageId,
        properties: { note: 'x'.repeat(600) },
      }),
    });
  expect((await post('warm-up')).status).toBe(200);

  broker.pause();
  const inFlight = post('in-flight');
  // The first request is sent to the stalled broker before the others arrive.
  await new Promise((r) => setTimeout(r, 300));
  const ids = Array.from({ length: 20 }, (_, i) => `queued-${i}`);
  const pending = ids.map((id) => post(id).then((res) => ({ id, res })));
  // Refusals come back while Kafka still stalls; the queued requests wait.
  let timer: NodeJS.Timeout | undefined;
  const refusedAtOnce = await Promise.race([
    Promise.all(pending.slice(-10)),
    new Promise<null>((r) => (timer = setTimeout(() => r(null), 5000))),
  ]);
  clearTimeout(timer);
  broker.resume();
  expect(refusedAtOnce).not.toBeNull();
  const answers = [{ id: 'in-flight', res: await inFlight }, ...(await Promise.all(pending))];

  const accepted = answers.filter((a) => a.res.status === 200).map((a) => a.id);
  const refused = answers.filter((a) => a.res.status === 503);
  expect(answers.filter((a) => a.res.status !== 200 && a.res.status !== 503)).toEqual([]);
  expect(accepted.length).toBeGreaterThanOrEqual(2);
  expect(refused.length).toBeGreaterThanOrEqual(10);
  for (const r of refused) {
    expect(r.res.headers.get('retry-after')).toBe('2');
    expect(await r.res.json()).toEqual({ success: false, error: 'collector queue full; retry later' });
  }

  const total = await recordCount(kafka, topic);
  const written = (await readRawEvents(kafka, topic, total)).map((r) => r.event.messageId);
  expect([...new Set(written)].sort()).toEqual(['warm-up', ...accepted].sort());
});
