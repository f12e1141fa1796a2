// The identity resolver while its Redis stalls longer than the group session (a private
// redis-server, paused with CLIENT PAUSE): it keeps its membership, loses nothing and writes no
// resolved record twice. The shared Redis is never paused.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import Redis from 'ioredis';
import { tenantDirectory } from '../../../services/common/tenants';
import { identityResolver } from '../../../services/identity-resolver/main';
import { resolvedEvents } from '../../../services/common/streams/resolved-events';
import { eventPublisher, readDecoded, type EventPublisher } from '../../support/identity-resolver-stack';
import { startTestProcessor, type TestProcessor } from '../../support/processor-harness';
import { testKafka, waitFor } from '../../support/real-stack';

jest.setTimeout(180_000);

const kafka = testKafka();
const tenant = 'stall-test';
let server: ChildProcess | undefined;
let admin: Redis | undefined;
let processor: TestProcessor<'raw', string> | undefined;
let publisher: EventPublisher | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

afterAll(async () => {
  await processor?.stop();
  await publisher?.producer.disconnect();
  admin?.disconnect();
  server?.kill('SIGTERM');
});

const page = (i: number) => ({
  messageId: `stall-${i}`,
  tenant,
  type: 'page' as const,
  anonymousId: `anon-${i % 7}`,
  timestamp: new Date(Date.UTC(2025, 0, 1, 12, 0, i % 60)).toISOString(),
});

it('keeps its membership through a Redis pause longer than the session, without loss or duplicates', async () => {
  const port = await freePort();
  server = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  admin = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => 100 });
  await waitFor('private redis', async () =>
    (await admin!.ping().catch(() => undefined)) ? true : undefined,
  );

  processor = await startTestProcessor(kafka, identityResolver, {
    options: { tenants: tenantDirectory({ tenants: [{ id: tenant, writeKeys: [`${tenant}-key`] }] }) },
    inputPartitions: 2,
    // The broker's minimum session, so a 10 s pause outlasts it.
    config: { CDP_REDIS_URL: `redis://127.0.0.1:${port}`, CDP_KAFKA_SESSION_TIMEOUT_MS: 6_000 },
  });
  publisher = await eventPublisher(kafka, processor.topics.inputs.raw);
  const resolvedTopic = processor.topics.outputs.resolved;

  await publisher.publish(Array.from({ length: 40 }, (_, i) => page(i)));
  await readDecoded(kafka, publisher.codec, resolvedEvents, resolvedTopic, 40, 60_000);

  // Pauses every client of this private server (the resolver's included) for longer than the session.
  await admin.call('CLIENT', 'PAUSE', '10000', 'ALL');
  await publisher.publish(Array.from({ length: 40 }, (_, i) => page(40 + i)));

  const total = 80;
  await waitFor(
    'every event resolved',
    async () =>
      (await readDecoded(kafka, publisher!.codec, resolvedEvents, resolvedTopic, total, 5_000)).length >=
      total
        ? true
        : undefined,
    120_000,
  );
  // One more than expected, read for a while: a duplicate would show up here.
  const resolved = await readDecoded(kafka, publisher.codec, resolvedEvents, resolvedTopic, total + 1, 5_000);
  const ids = resolved.map((r) => r.value?.messageId);
  expect(new Set(ids).size).toBe(total);
  expect(ids).toHaveLength(total);
  expect(processor.running.runner.state()).toMatchObject({ member: true, joins: 1 });
});
