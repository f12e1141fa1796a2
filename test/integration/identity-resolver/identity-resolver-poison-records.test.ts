// Records written straight to Kafka skip the collector's checks. Before the raw-record bounds, one
// with traits nested 4,000 deep threw RangeError in the resolver and one stamped 9e15 ms threw in
// event-record.ts: both were retried for ever and stalled the partition. Now each costs one DLQ
// record with the reason, and the event behind it on the same partition resolves.
import { validateEvents } from '../../../services/common/events/event-producer';
import { toRawEventRecord } from '../../../services/common/events/event-record';
import { rawEvents } from '../../../services/common/streams/raw-events';
import { DLQ_HEADERS } from '../../../services/common/kafka/dead-letter';
import { uniqueTenant } from '../../support/identity-graph-fixtures';
import {
  startResolverTestBed,
  type EventPublisher,
  type ResolverTestBed,
  type ResolverTestTopics,
} from '../../support/identity-resolver-stack';
import { recordCount } from '../../support/raw-events';
import { readTopic, testKafka, waitFor } from '../../support/real-stack';

jest.setTimeout(120_000);

const kafka = testKafka();
const tenant = uniqueTenant('poison');
let topics: ResolverTestTopics;
let publisher: EventPublisher;
let bed: ResolverTestBed | undefined;

beforeAll(async () => {
  bed = await startResolverTestBed(kafka, tenant, 'poison');
  ({ topics, publisher } = bed);
});

afterAll(async () => {
  await bed?.close();
});

/** A valid record of `messageId`, then bent the way a careless producer would write it. */
async function rawRecord(
  messageId: string,
  bend: (record: Record<string, unknown>) => void,
): Promise<Buffer> {
  const [event] = validateEvents([{ messageId, tenant, type: 'identify', userId: 'u-poison' }], new Date());
  const record = toRawEventRecord(event!);
  bend(record as unknown as Record<string, unknown>);
  return publisher.codec.encodeRecord(rawEvents, record, topics.input);
}

test('a too-deep record and an out-of-range timestamp go to the DLQ; the next event resolves', async () => {
  const key = `${tenant}:user_id:u-poison`;
  const deep = `{"t":${'['.repeat(4_000)}${']'.repeat(4_000)}}`;
  await publisher.producer.send([
    { topic: topics.input, key, value: await rawRecord('deep-traits', (r) => (r.traits = deep)) },
    { topic: topics.input, key, value: await rawRecord('far-timestamp', (r) => (r.timestamp = 9e15)) },
  ]);
  await publisher.publish([{ messageId: 'after-poison', tenant, type: 'identify', userId: 'u-poison' }]);

  await waitFor('the good event resolved', async () =>
    (await recordCount(kafka, topics.resolved)) >= 1 ? true : undefined,
  );
  const resolved = await readTopic(kafka, topics.resolved, 1);
  expect(resolved).toHaveLength(1);
  const dead = await readTopic(kafka, topics.dlq, 2);
  expect(dead.map((d) => d.headers[DLQ_HEADERS.errorClass])).toEqual([
    'EventRecordError',
    'EventRecordError',
  ]);
  const reasons = dead.map((d) => d.headers[DLQ_HEADERS.errorMessage] ?? '');
  expect(reasons[0]).toMatch(/deep-traits.*traits/);
  expect(reasons[1]).toMatch(/far-timestamp.*timestamp/);
  // The original bytes, not a re-encoding.
  expect(dead[0]?.value?.length).toBeGreaterThan(8_000);
});
