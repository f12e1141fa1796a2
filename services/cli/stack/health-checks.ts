// Real health checks: a Kafka produce+consume round trip, a registry GET, Redis PING, ClickHouse SELECT 1.
import crypto from 'node:crypto';
import { Partitioners } from 'kafkajs';
import type { Config } from '../../common/config';
import { createClickHouse } from '../../common/clickhouse/clickhouse-client';
import { createKafka } from '../../common/kafka/kafka-client';
import Redis from 'ioredis';
import type { StackServiceName } from './stack-services';

const HEALTH_TOPIC = 'cdp.healthcheck';

async function withTimeout<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function kafkaRoundTrip(config: Config): Promise<void> {
  const kafka = createKafka(config, 'cdp-healthcheck', { quiet: true });
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `cdp-healthcheck-${crypto.randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  try {
    if (!(await admin.listTopics()).includes(HEALTH_TOPIC)) {
      await admin
        .createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: HEALTH_TOPIC,
              numPartitions: 1,
              configEntries: [{ name: 'retention.ms', value: '3600000' }],
            },
          ],
        })
        .catch((err: unknown) => {
          if (!(err instanceof Error && /already exists/i.test(err.message))) throw err;
        });
    }
    const token = crypto.randomUUID();
    await consumer.connect();
    await consumer.subscribe({ topic: HEALTH_TOPIC, fromBeginning: false });
    const received = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.value?.toString() === token) resolve();
        },
      });
    });
    await producer.connect();
    // The consumer starts at the end; keep producing until it has joined and sees a token.
    const deadline = Date.now() + 30_000;
    let seen = false;
    void received.then(() => (seen = true));
    while (!seen && Date.now() < deadline) {
      await producer.send({ topic: HEALTH_TOPIC, acks: -1, messages: [{ value: token }] });
      await Promise.race([received, new Promise((r) => setTimeout(r, 500))]);
    }
    if (!seen) throw new Error('produced to cdp.healthcheck but never consumed it back');
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

async function registryGet(config: Config): Promise<void> {
  const res = await fetch(`${config.CDP_SCHEMA_REGISTRY_URL.replace(/\/$/, '')}/subjects`);
  if (!res.ok) throw new Error(`GET /subjects answered HTTP ${res.status}`);
  await res.json();
}

async function redisPing(config: Config): Promise<void> {
  // One attempt, no reconnects: a health check wants the real connection error, not a retry budget.
  const redis = new Redis(config.CDP_REDIS_URL, {
    connectionName: 'cdp-healthcheck',
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  let connectError: Error | undefined;
  redis.on('error', (err: Error) => (connectError = err));
  try {
    await redis.connect().catch((err: Error) => {
      throw connectError ?? err;
    });
    const pong = await redis.ping();
    if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
  } finally {
    redis.disconnect();
  }
}

async function clickhouseSelect(config: Config): Promise<void> {
  const client = createClickHouse(config);
  try {
    const rs = await client.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' });
    const rows = await rs.json<{ one: number }>();
    if (Number(rows[0]?.one) !== 1) throw new Error(`SELECT 1 answered ${JSON.stringify(rows)}`);
  } finally {
    await client.close();
  }
}

const CHECKS: Record<StackServiceName, (config: Config) => Promise<void>> = {
  kafka: kafkaRoundTrip,
  'schema-registry': registryGet,
  redis: redisPing,
  clickhouse: clickhouseSelect,
};

export async function checkHealth(name: StackServiceName, config: Config, timeoutMs: number): Promise<void> {
  await withTimeout(name, timeoutMs, CHECKS[name](config));
}

/** Retries a check until it passes or the time is up; returns the last error message on failure. */
export async function waitHealthy(
  name: StackServiceName,
  config: Config,
  totalMs: number,
): Promise<string | undefined> {
  const deadline = Date.now() + totalMs;
  let last = 'not checked';
  while (Date.now() < deadline) {
    try {
      await checkHealth(name, config, Math.max(1000, Math.min(40_000, deadline - Date.now())));
      return undefined;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  return last;
}
