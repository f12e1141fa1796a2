// A kafka destination: each call is an Avro record of the payload schema, registered under the
// destination topic's subject, keyed by profile, in order per profile.
import { destinationPayloads } from '../../../services/common/streams/activation';
import { segmentMembership } from '../../../services/common/streams/segment-membership';
import { startActivationStack, type ActivationStack } from '../../support/activation-stack';
import { createTopics, deleteTopics, readTopic, testKafka, uniqueName } from '../../support/real-stack';

jest.setTimeout(120_000);

const kafka = testKafka();
const topic = uniqueName('test.activation.kafka-destination');
let stack: ActivationStack;

beforeAll(async () => {
  stack = await startActivationStack(kafka, 'opt_out');
  await createTopics(kafka, [topic], 3);
});

afterAll(async () => {
  await stack?.stop();
  await deleteTopics(kafka, [topic]);
});

it('produces every call to the destination topic as Avro, in order per profile', async () => {
  await stack.define('segment', 'vip', { kind: 'segment', id: 'vip' });
  await stack.define('destination', 'warehouse', {
    kind: 'destination',
    id: 'warehouse',
    type: 'kafka',
    topic,
    batch_size: 10,
    subscribe: { segments: ['vip'] },
  });
  const processor = await stack.start();
  const ann = await stack.profile('ann');
  const records = [1, 2, 3].map((v) => stack.membership(ann, 'vip', v % 2 ? 'entered' : 'exited', v));
  await stack.publish(segmentMembership, processor.topics.inputs.membership, records, segmentMembership.key);

  const got = await readTopic(kafka, topic, 6, 60_000);
  const decoded = await Promise.all(got.map((r) => stack.codec.decodeRecord(destinationPayloads, r.value)));
  expect(new Set(got.map((r) => r.key))).toEqual(new Set([`${stack.tenant}:${ann}`]));
  expect(decoded.map((d) => [d.type, d.event, d.userId])).toEqual([
    ['identify', null, 'ann'],
    ['track', 'Audience Entered', 'ann'],
    ['identify', null, 'ann'],
    ['track', 'Audience Exited', 'ann'],
    ['identify', null, 'ann'],
    ['track', 'Audience Entered', 'ann'],
  ]);
  const first = JSON.parse(decoded[1]!.payload) as { messageId: string; properties: Record<string, unknown> };
  expect(first.messageId).toBe(decoded[1]!.messageId);
  expect(first.properties.audience_key).toBe('vip');
});
