// `cdp import` on the real stack: the sample CRM export lands on a private raw topic as records the
// raw-events stream decodes, keyed as the collector keys them, with messageIds derived from tenant,
// file hash and row; a second import writes the same messageIds; failures that stop an import
// (Kafka unreachable, no topic) exit 1 with a clear message.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AvroCodec } from '../../../services/common/codec/avro-codec';
import { rawEvents } from '../../../services/common/streams/raw-events';
import { importFiles, importSkippingSuppressed } from '../../../services/cli/commands/import-command';
import { SuppressionList } from '../../../services/common/privacy/suppression';
import { createRedis } from '../../../services/common/redis/redis-client';
import { fileSha256 } from '../../../services/import/import-file';
import { importMessageId } from '../../../services/import/import-message-id';
import { uniqueTenant } from '../../support/identity-graph-fixtures';
import { readDecoded } from '../../support/identity-resolver-stack';
import { importConfig, importTestDir, withStderr } from '../../support/import-stack';
import { config, createTopics, deleteTopics, testKafka, uniqueName } from '../../support/real-stack';

jest.setTimeout(120_000);

const kafka = testKafka();
const tenant = uniqueTenant('import');
const topic = uniqueName('test.import.raw');
const dir = importTestDir();
const cfg = importConfig(dir, tenant);
const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
const CRM = path.resolve(__dirname, '../../../examples/crm-export.csv');

beforeAll(async () => {
  await createTopics(kafka, [topic], 3);
});

afterAll(async () => {
  await deleteTopics(kafka, [topic]);
});

describe('cdp import to Kafka', () => {
  it('writes every valid row of the CRM export as a raw event and reports the rejected one', async () => {
    const errors = path.join(dir, 'errors.ndjson');
    const { result } = await withStderr(() => importFiles(cfg, [CRM], { tenant, topic, errors }));
    expect(result.code).toBe(2);
    expect(result.counters).toMatchObject({ rowsRead: 21, sent: 20, rejected: 1 });
    const rejected = readFileSync(errors, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rejected).toEqual([
      expect.objectContaining({ row: 22, line: 25, column: 'User ID', code: 'missing_identity' }),
    ]);

    const records = await readDecoded(kafka, codec, rawEvents, topic, 20);
    const hash = await fileSha256(CRM);
    const expectedIds = Array.from({ length: 20 }, (_, i) => importMessageId(tenant, hash, i + 2));
    expect(records.map((r) => r.value?.messageId).sort()).toEqual([...expectedIds].sort());
    for (const r of records) {
      const value = r.value!;
      expect(r.key).toBe(rawEvents.key(value));
      expect(value).toMatchObject({ tenant, type: 'identify' });
    }
    const ann = records.find((r) => r.value?.userId === 'C-1001')!.value!;
    expect(JSON.parse(ann.traits!)).toMatchObject({
      email: 'ann.lee@example.com',
      'First Name': 'Ann',
      address: { city: 'San Francisco', country: 'US' },
    });
    expect(JSON.parse(ann.context!)).toEqual({
      externalIds: [{ id: '0035e00000AbCdE1', type: 'salesforce_id', collection: 'users', encoding: 'none' }],
    });
    // The row without a user id is keyed by the anonymousId derived from its email.
    const farid = records.find((r) => r.value?.userId === null)!;
    expect(farid.key).toMatch(new RegExp(`^${tenant}:anonymous_id:import-[0-9a-f]{32}$`));
    // The multi-line note arrives whole.
    const emma = records.find((r) => r.value?.userId === 'C-1005')!.value!;
    expect(JSON.parse(emma.traits!).Notes).toBe('Call notes:\n- wants SSO\n- budget approved');
  });

  it('writes the same messageIds when the same file is imported again', async () => {
    const { result } = await withStderr(() => importFiles(cfg, [CRM], { tenant, topic }));
    expect(result.code).toBe(2);
    const records = await readDecoded(kafka, codec, rawEvents, topic, 40);
    const counts = new Map<string, number>();
    for (const r of records) counts.set(r.value!.messageId, (counts.get(r.value!.messageId) ?? 0) + 1);
    expect(counts.size).toBe(20);
    expect([...counts.values()].every((n) => n === 2)).toBe(true);
  });

  it('exits 1 with a clear message when Kafka cannot be reached, and sends nothing', async () => {
    const unreachable = importConfig(dir, tenant, { CDP_KAFKA_BROKERS: ['127.0.0.1:1'] });
    const { result, stderr } = await withStderr(() => importFiles(unreachable, [CRM], { tenant, topic }));
    expect(result.code).toBe(1);
    expect(stderr).toMatch(/cdp import: cannot reach Kafka at 127\.0\.0\.1:1/);
    expect(result.counters.sent).toBe(0);
  });

  it('exits 1 when the topic does not exist, naming the fix', async () => {
    const { result, stderr } = await withStderr(() =>
      importFiles(cfg, [CRM], { tenant, topic: uniqueName('test.import.missing') }),
    );
    expect(result.code).toBe(1);
    expect(stderr).toMatch(/missing Kafka topic .*run 'cdp topics apply' first/);
  });

  it('exits 1 for an unknown tenant or a missing file before contacting Kafka', async () => {
    const unknown = await withStderr(() => importFiles(cfg, [CRM], { tenant: 'no-such-tenant', topic }));
    expect(unknown.result.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown tenant 'no-such-tenant'/);
    const missing = await withStderr(() => importFiles(cfg, [path.join(dir, 'nope.csv')], { tenant, topic }));
    expect(missing.result.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nope.csv: ENOENT/);
  });
});

describe('cdp import and the suppression list', () => {
  it('skips and counts the rows of a suppressed subject; sends them again once unsuppressed', async () => {
    const suppressedTopic = uniqueName('test.import.suppressed');
    await createTopics(kafka, [suppressedTopic], 1);
    const redis = createRedis(config.CDP_REDIS_URL, 'import-suppression-test');
    const list = new SuppressionList(redis);
    try {
      await list.suppress(tenant, ['email:ann.lee@example.com'], 'import-test-request');
      const { result } = await withStderr(() =>
        importSkippingSuppressed(cfg, [CRM], { tenant, topic: suppressedTopic }),
      );
      expect(result.counters).toMatchObject({ rowsRead: 21, sent: 19, rejected: 1, skipped: 1 });
      const records = await readDecoded(kafka, codec, rawEvents, suppressedTopic, 19);
      expect(records.map((r) => r.value?.userId)).not.toContain('C-1001');

      await list.unsuppress(tenant, 'email:ann.lee@example.com');
      const again = await withStderr(() =>
        importSkippingSuppressed(cfg, [CRM], { tenant, topic: suppressedTopic }),
      );
      expect(again.result.counters).toMatchObject({ sent: 20, skipped: 0 });
    } finally {
      await list.unsuppress(tenant, 'email:ann.lee@example.com');
      redis.disconnect();
      await deleteTopics(kafka, [suppressedTopic]);
    }
  });
});
