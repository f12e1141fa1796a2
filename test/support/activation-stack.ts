// Activation on private topics, a private definitions topic, a tenant and Redis key prefix of the
// test's own: publish definitions and source records as the segment / journey engines would.
import crypto from 'node:crypto';
import { startTestProcessor, type TestProcessor } from './processor-harness';
import { AvroCodec } from '../../services/common/codec/avro-codec';
import { definitionMessage } from '../../services/common/definitions/definitions-topic';
import type { Kafka } from '../../services/common/kafka/kafka-client';
import { createProducer, type MessageProducer } from '../../services/common/kafka/producer';
import { createRedis, type Redis } from '../../services/common/redis/redis-client';
import {
  segmentMembership,
  type SegmentMembershipRecord,
} from '../../services/common/streams/segment-membership';
import type { AvroStream } from '../../services/common/streams/stream';
import { tenantDirectory, type ConsentMode } from '../../services/common/tenants';
import { IdentityGraph } from '../../services/identity-resolver/identity-graph';
import { DEFAULT_IDENTITY_RULES } from '../../services/identity-resolver/identity-rules';
import { activation, type ActivationOptions } from '../../services/activation/main';
import type { InputRole } from '../../services/activation/activation-handler';
import { DeliveryQueue } from '../../services/activation/delivery-queue';
import { config, createTopics, deleteTopics, uniqueName } from './real-stack';
import { makeEvent, expectResolved } from './identity-graph-fixtures';

export interface ActivationStack {
  tenant: string;
  kafka: Kafka;
  codec: AvroCodec;
  redis: Redis;
  graph: IdentityGraph;
  queue: DeliveryQueue;
  keyPrefix: string;
  definitionsTopic: string;
  producer: MessageProducer;
  processor?: TestProcessor<InputRole, 'deliveries' | 'deadLetters'>;
  /** Publishes definitions (no validation: the CLI's part) to the private topic. */
  define(kind: string, id: string, body: Record<string, unknown>): Promise<void>;
  start(
    options?: Partial<ActivationOptions>,
  ): Promise<TestProcessor<InputRole, 'deliveries' | 'deadLetters'>>;
  publish<T>(stream: AvroStream, topic: string, records: T[], key: (r: T) => string): Promise<void>;
  membership(
    profileId: string,
    segmentId: string,
    status: 'entered' | 'exited',
    version: number,
  ): SegmentMembershipRecord;
  /** A profile in the graph with user_id `userId` (and consent preferences, if given); its id. */
  profile(userId: string, consent?: Record<string, boolean>, at?: number): Promise<string>;
  stop(): Promise<void>;
}

export async function startActivationStack(
  kafka: Kafka,
  consentMode: ConsentMode = 'opt_in',
): Promise<ActivationStack> {
  const tenant = `act-${crypto.randomBytes(4).toString('hex')}`;
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-activation-test');
  const keyPrefix = `test-${tenant}:`;
  const definitionsTopic = uniqueName('test.activation.definitions');
  await createTopics(kafka, [definitionsTopic], 1);
  const producer = await createProducer(kafka);
  const graph = new IdentityGraph(redis);
  const tenants = tenantDirectory({
    tenants: [{ id: tenant, writeKeys: [`wk-${tenant}`], consent_mode: consentMode }],
  });
  let versions = 0;
  const stack: ActivationStack = {
    tenant,
    kafka,
    codec,
    redis,
    graph,
    queue: new DeliveryQueue(redis, keyPrefix),
    keyPrefix,
    definitionsTopic,
    producer,
    async define(kind, id, body) {
      versions += 1;
      await producer.send([
        await definitionMessage(
          codec,
          { tenant, kind, id, version: versions, body: JSON.stringify(body), updatedAt: Date.now() },
          definitionsTopic,
        ),
      ]);
    },
    async start(options = {}) {
      stack.processor = await startTestProcessor(kafka, activation, {
        options: {
          tenants,
          definitionsTopic,
          keyPrefix,
          pollMs: 20,
          backoff: { initialMs: 50, maxMs: 400 },
          ...options,
        },
      });
      return stack.processor;
    },
    async publish(stream, topic, records, key) {
      const messages = [];
      for (const r of records)
        messages.push({ topic, key: key(r), value: await codec.encodeRecord(stream, r as never, topic) });
      await producer.send(messages);
    },
    membership(profileId, segmentId, status, version) {
      return {
        changeId: `${tenant}:${segmentId}:${profileId}:${version}`,
        tenant,
        segmentId,
        profileId,
        status,
        version,
        segmentVersion: 1,
        changedAt: Date.now(),
      };
    },
    async profile(userId, consent, at) {
      const event = makeEvent(tenant, {
        type: 'identify',
        userId,
        ...(consent === undefined ? {} : { context: { consent: { categoryPreferences: consent } } }),
        ...(at === undefined ? {} : { at }),
      });
      return expectResolved(await graph.resolveEvent(event, DEFAULT_IDENTITY_RULES)).profileId!;
    },
    async stop() {
      await stack.processor?.stop();
      await deleteTopics(kafka, [definitionsTopic]);
      const keys = await redis.keys(`${keyPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      const graphKeys = await redis.keys(`{t:${tenant}}*`);
      if (graphKeys.length > 0) await redis.del(...graphKeys);
      await producer.disconnect();
      await redis.quit();
    },
  };
  return stack;
}

export { segmentMembership };
