// The processor frame on the real stack: start-up refuses a stack without topics or migrations with
// one line naming the fix, /healthz reports the consumer's real state, and stop releases everything.
import crypto from 'node:crypto';
import { createLogger } from '../../../services/common/logger';
import { StartupCheckError } from '../../../services/common/runtime/startup-checks';
import { tenantDirectory } from '../../../services/common/tenants';
import { clickHouseSink } from '../../../services/clickhouse-sink/main';
import { identityResolver } from '../../../services/identity-resolver/main';
import { startTestProcessor } from '../../support/processor-harness';
import { config, testKafka, uniqueName, waitFor } from '../../support/real-stack';

jest.setTimeout(120_000);

const kafka = testKafka();
const quiet = createLogger('stream-processor-test', 'silent');
const tenants = tenantDirectory({ tenants: [{ id: 'frame-test', writeKeys: ['frame-test-write-key'] }] });

it('refuses to start without its topics and names cdp topics apply', async () => {
  const missing = uniqueName('test.frame.missing-raw');
  const start = identityResolver.startWith(config, quiet, {
    topics: { inputs: { raw: missing } },
    groupId: uniqueName('g'),
    options: { tenants },
  });
  await expect(start).rejects.toThrow(StartupCheckError);
  await expect(start).rejects.toThrow(
    new RegExp(`missing Kafka topic ${missing.replace(/\./g, '\\.')}: run 'cdp topics apply' first`),
  );
});

it('refuses to start the sink on a database without migrations and names cdp migrate', async () => {
  const database = `cdp_frame_${crypto.randomBytes(5).toString('hex')}`;
  const start = startTestProcessor(kafka, clickHouseSink, { options: { database } });
  await expect(start).rejects.toThrow(StartupCheckError);
  await expect(start).rejects.toThrow(
    new RegExp(`ClickHouse database ${database} lacks .*run 'cdp migrate' first`),
  );
});

it('reports the consumer as a member with its partitions once it joined, and unhealthy after stop', async () => {
  const processor = await startTestProcessor(kafka, identityResolver, {
    options: { tenants },
    inputPartitions: 2,
  });
  try {
    const report = await waitFor('the consumer to join', async () => {
      const r = await processor.running.health();
      return r.ok ? r : undefined;
    });
    expect(report.detail).toMatchObject({
      consumer: {
        connected: true,
        member: true,
        partitions: { [processor.topics.inputs.raw]: [0, 1] },
        retrying: [],
      },
      redis: 'ready',
    });
  } finally {
    await processor.stop();
  }
  expect((await processor.running.health()).ok).toBe(false);
});
