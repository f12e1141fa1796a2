// An app publishes Avro events with the producer library; a consumer on the Step 1 runner decodes
// them, and sends garbage bytes and records of the wrong schema to the DLQ with the reason.
import { AvroCodec } from '../../../services/common/codec/avro-codec';
import { profileChanges } from '../../../services/common/streams/profile-changes';
import { decodeRawEvent } from '../../../services/common/events/decode-event';
import type { CdpEvent } from '../../../services/common/events/event-model';
import { EventValidationError, createEventProducer } from '../../../services/common/events/event-producer';
import { startConsumerRunner } from '../../../services/common/kafka/consumer-runner';
import { DLQ_HEADERS } from '../../../services/common/kafka/dead-letter';
import { createProducer, type MessageProducer } from '../../../services/common/kafka/producer';
import { createLogger } from '../../../services/common/logger';
import {
  config,
  createTopics,
  deleteTopics,
  readTopic,
  testKafka,
  uniqueName,
  waitFor,
} from '../../support/real-stack';

jest.setTimeout(120_000);

const kafka = testKafka();
const rawTopic = uniqueName('cdp.events.raw.v1.producer');
const dlqTopic = uniqueName('cdp.events.dlq.v1.producer');
const otherTopic = uniqueName('cdp.profiles.changes.v1.producer');
let producer: MessageProducer;

beforeAll(async () => {
  await createTopics(kafka, [rawTopic, dlqTopic, otherTopic], 2);
  producer = await createProducer(kafka);
});

afterAll(async () => {
  await producer?.disconnect();
  await deleteTopics(kafka, [rawTopic, dlqTopic, otherTopic]);
});

it('publishes valid events, refuses invalid ones, and dead-letters undecodable records', async () => {
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const events = createEventProducer({ codec, producer, topic: rawTopic });

  const published = await events.publish([
    { messageId: 'p-1', type: 'identify', tenant: 'demo', userId: 'u-1', traits: { email: 'a@b.c' } },
    {
      messageId: 'p-2',
      type: 'track',
      tenant: 'demo',
      anonymousId: 'a-1',
      event: 'Viewed',
      properties: { sku: 'x' },
      timestamp: '2024-05-01T10:00:00.000Z',
    },
  ]);
  expect(published.map((e) => e.receivedAt)).toEqual([expect.any(String), expect.any(String)]);

  // Validation happens before anything is written: a bad event costs the whole call, nothing leaks.
  await expect(
    events.publish([
      { messageId: 'p-3', type: 'identify', tenant: 'demo', userId: 'u-3' },
      { messageId: 'p-4', type: 'track', tenant: 'demo', userId: 'u-4' },
    ]),
  ).rejects.toThrow(EventValidationError);

  // Poison on the raw topic: garbage bytes, an unknown schema id, and a valid Avro record of another schema.
  const wrongRecord = await codec.encodeRecord(
    profileChanges,
    {
      changeId: 'c:1',
      tenant: 'demo',
      profileId: 'c',
      version: 1,
      kind: 'created',
      sourceMessageId: null,
      identifiersAdded: [],
      mergedFrom: [],
      traitsChanged: [],
      changedAt: Date.now(),
    },
    otherTopic,
  );
  const otherId = await codec.register(otherTopic, profileChanges.schema());
  expect(wrongRecord.readUInt32BE(1)).toBe(otherId);
  const unknownId = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), Buffer.from('irrelevant')]);
  await producer.send([
    { topic: rawTopic, key: 'demo:user_id:bad', value: Buffer.from('definitely not avro') },
    { topic: rawTopic, key: 'demo:user_id:bad', value: unknownId },
    { topic: rawTopic, key: 'demo:user_id:bad', value: wrongRecord },
  ]);

  const decoded: CdpEvent[] = [];
  const runner = await startConsumerRunner({
    kafka,
    producer,
    logger: createLogger('producer-test', 'silent'),
    service: 'producer-test',
    groupId: uniqueName('producer-test'),
    topics: [rawTopic],
    dlqTopic,
    handle: async (message) => {
      decoded.push(await decodeRawEvent(codec, message.value));
      return [];
    },
    keyConcurrency: 4,
    partitionsConcurrently: 2,
    retryInitialMs: 100,
    retryMaxMs: 1000,
    fromBeginning: true,
  });
  try {
    const dead = await readTopic(kafka, dlqTopic, 3, 60_000);
    await waitFor('both events decoded', async () => (decoded.length >= 2 ? true : undefined));

    expect(decoded.map((e) => e.messageId).sort()).toEqual(['p-1', 'p-2']);
    expect(decoded.find((e) => e.messageId === 'p-1')).toEqual(published[0]);
    expect(decoded.find((e) => e.messageId === 'p-2')?.timestamp).toBe('2024-05-01T10:00:00.000Z');

    expect(dead).toHaveLength(3);
    const reasons = dead.map((d) => ({
      value: d.value,
      errorClass: d.headers[DLQ_HEADERS.errorClass],
      message: d.headers[DLQ_HEADERS.errorMessage],
      source: d.headers[DLQ_HEADERS.sourceTopic],
    }));
    for (const r of reasons) expect(r.source).toBe(rawTopic);
    const garbage = reasons.find((r) => r.value?.equals(Buffer.from('definitely not avro')));
    expect(garbage?.errorClass).toBe('DecodeError');
    const unknown = reasons.find((r) => r.value?.equals(unknownId));
    expect(unknown?.errorClass).toBe('UnknownSchema');
    expect(unknown?.message).toMatch(/unknown schema id 2147483632/);
    const wrong = reasons.find((r) => r.value?.equals(wrongRecord));
    expect(wrong?.errorClass).toMatch(/DecodeError|EventRecordError/);
    expect(wrong?.message).toBeTruthy();
  } finally {
    await runner.stop();
  }
});
