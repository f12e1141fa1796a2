import { describeTopicChange, planTopicChanges } from '../../../services/common/kafka/topic-plan';
import { topicDefinitions, TOPICS } from '../../../services/common/kafka/topics';

const defs = topicDefinitions({ CDP_TOPIC_PARTITIONS: 6 });
const raw = defs.find((d) => d.name === TOPICS.eventsRaw)!;
const profiles = defs.find((d) => d.name === TOPICS.profiles)!;

describe('planTopicChanges', () => {
  it('creates what is missing', () => {
    const changes = planTopicChanges([raw], []);
    expect(changes).toEqual([{ kind: 'create', def: raw }]);
    expect(describeTopicChange(changes[0]!)).toContain('created');
  });

  it('leaves a matching topic alone, so applying twice is a no-op', () => {
    const existing = [
      {
        name: raw.name,
        partitions: 6,
        configs: { 'cleanup.policy': 'delete', 'retention.ms': String(raw.retentionMs) },
      },
    ];
    expect(planTopicChanges([raw], existing)).toEqual([{ kind: 'unchanged', def: raw }]);
  });

  it('grows partitions and fixes drifted configs', () => {
    const existing = [
      { name: profiles.name, partitions: 3, configs: { 'cleanup.policy': 'delete', 'retention.ms': '-1' } },
    ];
    const kinds = planTopicChanges([profiles], existing).map((c) => c.kind);
    expect(kinds).toEqual(['add-partitions', 'alter-configs']);
  });

  it('never tries to shrink a topic', () => {
    const existing = [
      {
        name: raw.name,
        partitions: 12,
        configs: { 'cleanup.policy': 'delete', 'retention.ms': String(raw.retentionMs) },
      },
    ];
    expect(planTopicChanges([raw], existing).map((c) => c.kind)).toEqual(['cannot-shrink']);
  });

  it('keeps the profile snapshot topic compacted and forever', () => {
    expect(profiles.cleanupPolicy).toBe('compact');
    expect(profiles.retentionMs).toBe(-1);
  });
});
