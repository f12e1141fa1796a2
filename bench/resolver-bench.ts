// Identity resolver throughput and Redis memory on the running local stack: publishes a seeded
// population's events to a fresh topic, runs the resolver over it, and reports events/s (time until
// every offset is committed, i.e. all outputs acknowledged) and Redis bytes per identifier.
//
//   node dist/bench/resolver-bench.js [--people 2000] [--events-per-person 10]
import crypto from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AvroCodec } from '../services/common/codec/avro-codec';
import { loadConfig, repoRoot } from '../services/common/config';
import { createEventProducer, type PublishableEvent } from '../services/common/events/event-producer';
import { applyTopics } from '../services/common/kafka/apply-topics';
import { createKafka, type Kafka } from '../services/common/kafka/kafka-client';
import { createProducer } from '../services/common/kafka/producer';
import { createLogger } from '../services/common/logger';
import { createRedis, type Redis } from '../services/common/redis/redis-client';
import { deleteKeysMatching } from '../services/common/redis/delete-keys';
import { tenantDirectory } from '../services/common/tenants';
import { startIdentityResolver } from '../services/identity-resolver/main';
import { resolverBenchTopics } from './resolver-topics';
import { identifierIndexKey, tenantPrefix } from '../services/identity-resolver/redis-keys';

function population(people: number, perPerson: number, tenant: string): PublishableEvent[] {
  const events: PublishableEvent[] = [];
  const base = Date.UTC(2026, 0, 1);
  for (let p = 0; p < people; p++) {
    const anon = [`anon-${p}-a`, `anon-${p}-b`];
    for (let i = 0; i < perPerson; i++) {
      const anonymousId = anon[i % 2] as string;
      const originalTimestamp = new Date(base + p * 60_000 + i * 1000).toISOString();
      const messageId = `bench-${p}-${i}`;
      // Every fifth event identifies, which links both devices, the user id and the email.
      events.push(
        i % 5 === 4
          ? {
              messageId,
              type: 'identify',
              tenant,
              userId: `user-${p}`,
              anonymousId,
              traits: { email: `person${p}@example.com`, visits: i },
              originalTimestamp,
            }
          : {
              messageId,
              type: 'page',
              tenant,
              anonymousId,
              name: 'Home',
              properties: { i },
              originalTimestamp,
            },
      );
    }
  }
  return events;
}

async function committedTotal(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (result?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      people: { type: 'string', default: '2000' },
      'events-per-person': { type: 'string', default: '10' },
    },
  });
  const people = Number(values.people);
  const perPerson = Number(values['events-per-person']);
  const config = loadConfig();
  const run = crypto.randomBytes(4).toString('hex');
  const tenant = `bench-${run}`;
  const topics = resolverBenchTopics(`bench.resolver.${run}`);
  const kafka = createKafka(config, `bench-${run}`);
  const all = [topics.input, topics.dlq, ...Object.values(topics.outputs)];
  await applyTopics(
    kafka,
    all.map((name) => ({
      name,
      partitions: config.CDP_TOPIC_PARTITIONS,
      cleanupPolicy: 'delete',
      retentionMs: 3_600_000,
    })),
  );

  const events = population(people, perPerson, tenant);
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const producer = await createProducer(kafka);
  const publisher = createEventProducer({ codec, producer, topic: topics.input });
  const publishStart = Date.now();
  for (let i = 0; i < events.length; i += 1000) {
    await publisher.publish(events.slice(i, i + 1000));
    if ((i / 1000) % 10 === 0)
      process.stderr.write(`bench: published ${Math.min(i + 1000, events.length)}/${events.length}\n`);
  }
  const publishSeconds = (Date.now() - publishStart) / 1000;

  const redis = createRedis(config.CDP_REDIS_URL, 'bench');
  const memoryBefore = await usedMemory(redis);
  const groupId = `bench-resolver-${run}`;
  const started = Date.now();
  const resolver = await startIdentityResolver(config, createLogger('bench-resolver', 'warn'), {
    ...topics,
    groupId,
    tenants: tenantDirectory({ tenants: [{ id: tenant, writeKeys: [`${tenant}-write-key`] }] }),
  });
  let done = 0;
  while (done < events.length) {
    await new Promise((r) => setTimeout(r, 500));
    done = await committedTotal(kafka, groupId, topics.input);
    process.stderr.write(`bench: resolved ${done}/${events.length}\r`);
    if (Date.now() - started > 15 * 60_000) throw new Error('resolver bench timed out after 15 minutes');
  }
  const resolveSeconds = (Date.now() - started) / 1000;
  process.stderr.write('\n');
  await resolver.stop();

  const identifiers = await redis.hlen(identifierIndexKey(tenant));
  const memoryAfter = await usedMemory(redis);
  await deleteKeysMatching(redis, `${tenantPrefix(tenant)}:m:*`);
  const memoryWithoutDedupe = await usedMemory(redis);
  const result = {
    bench: 'resolver',
    at: new Date().toISOString(),
    events: events.length,
    people,
    publish_events_per_s: Math.round(events.length / publishSeconds),
    resolver_events_per_s: Math.round(events.length / resolveSeconds),
    resolver_seconds: resolveSeconds,
    identifiers,
    redis_bytes_per_identifier: Math.round((memoryAfter - memoryBefore) / identifiers),
    redis_bytes_per_identifier_without_dedupe_keys: Math.round(
      (memoryWithoutDedupe - memoryBefore) / identifiers,
    ),
  };
  console.log(
    `resolver bench: ${result.events} events (${people} people), ${result.resolver_events_per_s} events/s resolved ` +
      `(${resolveSeconds.toFixed(1)} s, outputs acknowledged and offsets committed), ${identifiers} identifiers, ` +
      `${result.redis_bytes_per_identifier} Redis bytes/identifier (${result.redis_bytes_per_identifier_without_dedupe_keys} without the 7-day dedupe keys)`,
  );
  const dir = path.join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  appendFileSync(path.join(dir, 'resolver-bench.ndjson'), `${JSON.stringify(result)}\n`);

  await deleteKeysMatching(redis, `${tenantPrefix(tenant)}:*`);
  redis.disconnect();
  await producer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: all }).catch(() => undefined);
  await admin.disconnect();
}

main().catch((err: unknown) => {
  process.stderr.write(`resolver bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
