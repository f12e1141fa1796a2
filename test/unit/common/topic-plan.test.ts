import {
  describeTopicChange,
  needsConfirmation,
  planTopicChanges,
  type ExistingTopic,
} from '../../../services/common/kafka/topic-plan';
import {
  resolveReplication,
  topicDefinitions,
  TOPICS,
  withReplication,
} from '../../../services/common/kafka/topics';

const defs = topicDefinitions({ CDP_TOPIC_PARTITIONS: 6 });
const raw = defs.find((d) => d.name === TOPICS.eventsRaw)!;
const profiles = defs.find((d) => d.name === TOPICS.profiles)!;
const [raw3] = withReplication([raw], { factor: 3, minInsync: 2 });

function existingRaw(overrides: Partial<ExistingTopic> = {}): ExistingTopic {
  return {
    name: raw.name,
    partitions: 6,
    replicationFactor: 1,
    configs: { 'cleanup.policy': 'delete', 'retention.ms': String(raw.retentionMs) },
    ...overrides,
  };
}

describe('planTopicChanges', () => {
  it('creates what is missing', () => {
    const changes = planTopicChanges([raw], []);
    expect(changes).toEqual([{ kind: 'create', def: raw }]);
    expect(describeTopicChange(changes[0]!)).toContain('created');
  });

  it('leaves a matching topic alone, so applying twice is a no-op', () => {
    expect(planTopicChanges([raw], [existingRaw()])).toEqual([{ kind: 'unchanged', def: raw }]);
  });

  it('grows partitions and fixes drifted configs', () => {
    const existing = [
      {
        name: profiles.name,
        partitions: 3,
        replicationFactor: 1,
        configs: { 'cleanup.policy': 'delete', 'retention.ms': '-1' },
      },
    ];
    const kinds = planTopicChanges([profiles], existing).map((c) => c.kind);
    expect(kinds).toEqual(['add-partitions', 'alter-configs']);
  });

  it('never tries to shrink a topic, and says why', () => {
    const changes = planTopicChanges([raw], [existingRaw({ partitions: 12 })]);
    expect(changes.map((c) => c.kind)).toEqual(['cannot-shrink']);
    expect(needsConfirmation(changes)).toBe(false);
    expect(describeTopicChange(changes[0]!)).toMatch(/Kafka cannot remove partitions/);
  });

  it('keeps the profile snapshot topic compacted and forever', () => {
    expect(profiles.cleanupPolicy).toBe('compact');
    expect(profiles.retentionMs).toBe(-1);
  });

  it('sets min.insync.replicas when replication is managed, and fixes it when it drifts', () => {
    const changes = planTopicChanges([raw3!], [existingRaw({ replicationFactor: 3 })]);
    expect(changes).toEqual([{ kind: 'alter-configs', def: raw3, changed: ['min.insync.replicas'] }]);
    const matching = existingRaw({
      replicationFactor: 3,
      configs: { ...existingRaw().configs, 'min.insync.replicas': '2' },
    });
    expect(planTopicChanges([raw3!], [matching]).map((c) => c.kind)).toEqual(['unchanged']);
  });

  it('reports a replication factor it cannot change rather than pretending to', () => {
    const existing = existingRaw({ configs: { ...existingRaw().configs, 'min.insync.replicas': '2' } });
    const changes = planTopicChanges([raw3!], [existing]);
    expect(changes.map((c) => c.kind)).toEqual(['replication-differs']);
    expect(describeTopicChange(changes[0]!)).toMatch(/replication 1 \(wanted 3\).*reassign/);
    expect(needsConfirmation(changes)).toBe(false);
  });

  it('asks for confirmation only when partition counts would change', () => {
    expect(needsConfirmation(planTopicChanges([raw], []))).toBe(false);
    const grow = planTopicChanges([raw], [existingRaw({ partitions: 3 })]);
    expect(needsConfirmation(grow)).toBe(true);
    expect(describeTopicChange(grow[0]!, 'planned')).toBe(
      `partitions ${raw.name} 3 -> 6 (keys move to other partitions: per-key order across the change is lost)`,
    );
  });

  it('words a plan as what would happen', () => {
    const [create] = planTopicChanges([raw3!], []);
    expect(describeTopicChange(create!, 'planned')).toBe(
      `create     ${raw.name} (6 partitions, delete, replication 3, min.insync 2)`,
    );
  });
});

describe('resolveReplication', () => {
  const unset = { CDP_TOPIC_REPLICATION_FACTOR: undefined, CDP_TOPIC_MIN_INSYNC_REPLICAS: undefined };

  it('defaults from the broker count: 1 -> 1/1, 2 -> 2/1, 3 or more -> 3/2', () => {
    expect(resolveReplication(unset, 1)).toEqual({ factor: 1, minInsync: 1 });
    expect(resolveReplication(unset, 2)).toEqual({ factor: 2, minInsync: 1 });
    expect(resolveReplication(unset, 3)).toEqual({ factor: 3, minInsync: 2 });
    expect(resolveReplication(unset, 9)).toEqual({ factor: 3, minInsync: 2 });
  });

  it('takes the configured values, deriving min.insync from the factor when only that is set', () => {
    expect(resolveReplication({ ...unset, CDP_TOPIC_REPLICATION_FACTOR: 2 }, 5)).toEqual({
      factor: 2,
      minInsync: 1,
    });
    expect(
      resolveReplication({ CDP_TOPIC_REPLICATION_FACTOR: 5, CDP_TOPIC_MIN_INSYNC_REPLICAS: 3 }, 5),
    ).toEqual({ factor: 5, minInsync: 3 });
  });

  it('refuses what the cluster cannot honour, naming the variable', () => {
    expect(() => resolveReplication({ ...unset, CDP_TOPIC_REPLICATION_FACTOR: 3 }, 1)).toThrow(
      /CDP_TOPIC_REPLICATION_FACTOR is 3 but the cluster has 1 broker;/,
    );
    expect(() => resolveReplication({ ...unset, CDP_TOPIC_MIN_INSYNC_REPLICAS: 2 }, 1)).toThrow(
      /CDP_TOPIC_MIN_INSYNC_REPLICAS is 2 but topics have 1 replica/,
    );
  });
});
