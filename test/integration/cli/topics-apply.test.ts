// `cdp topics apply` on the real broker, on a private topic: replication settings, partition
// growth only with --yes, never a shrink.
import { ConfigResourceTypes } from 'kafkajs';
import { topicsApply } from '../../../services/cli/commands/topics-command';
import type { TopicDefinition } from '../../../services/common/kafka/topics';
import { config, deleteTopics, testKafka, uniqueName } from '../../support/real-stack';

const kafka = testKafka();
const topic = uniqueName('cdp-test.topics-apply');

function def(partitions: number): TopicDefinition {
  return { name: topic, partitions, cleanupPolicy: 'compact', retentionMs: -1 };
}

async function describe_(): Promise<{ partitions: number; replicas: number; minInsync: string | undefined }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
    });
    const partitions = topics[0]!.partitions;
    return {
      partitions: partitions.length,
      replicas: partitions[0]!.replicas.length,
      minInsync: described.resources[0]?.configEntries[0]?.configValue,
    };
  } finally {
    await admin.disconnect();
  }
}

/** Runs the command with stdout and stderr captured. */
async function apply(
  partitions: number,
  options: { yes?: boolean } = {},
  overrides: Partial<typeof config> = {},
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  try {
    const code = await topicsApply(
      { ...config, ...overrides },
      { ...options, definitions: [def(partitions)], registerSchemas: false },
    );
    return { code, out: out.join('\n'), err: err.join('') };
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
}

afterAll(async () => {
  await deleteTopics(kafka, [topic]);
});

describe('cdp topics apply', () => {
  it('creates a topic with the replication the broker count allows (one broker: 1 copy, 1 in sync)', async () => {
    const run = await apply(2);
    expect(run.code).toBe(0);
    expect(run.out).toContain(`created    ${topic} (2 partitions, compact, replication 1, min.insync 1)`);
    expect(await describe_()).toEqual({ partitions: 2, replicas: 1, minInsync: '1' });
  });

  it('refuses a replication factor above the broker count, naming the variable', async () => {
    await expect(apply(2, {}, { CDP_TOPIC_REPLICATION_FACTOR: 3 })).rejects.toThrow(
      /CDP_TOPIC_REPLICATION_FACTOR is 3 but the cluster has 1 broker/,
    );
  });

  it('prints the plan and changes nothing when partitions would grow without --yes', async () => {
    const run = await apply(4);
    expect(run.code).toBe(1);
    expect(run.out).toContain(`partitions ${topic} 2 -> 4 (keys move to other partitions`);
    expect(run.err).toMatch(/nothing applied.*cdp topics apply --yes/);
    expect((await describe_()).partitions).toBe(2);
  });

  it('grows partitions with --yes', async () => {
    const run = await apply(4, { yes: true });
    expect(run.code).toBe(0);
    expect(run.out).toContain(`partitions ${topic} 2 -> 4`);
    expect((await describe_()).partitions).toBe(4);
  });

  it('never shrinks: it keeps the partitions and says Kafka cannot remove them', async () => {
    const run = await apply(3, { yes: true });
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/kept .* at 4 partitions \(defined 3\): Kafka cannot remove partitions/);
    expect((await describe_()).partitions).toBe(4);
  });

  it('is a no-op when applied again', async () => {
    const run = await apply(4);
    expect([run.code, run.out]).toEqual([0, `unchanged  ${topic}`]);
  });
});
