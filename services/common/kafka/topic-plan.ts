// Pure diff between the topics a cluster has and the ones the code defines.
import { topicConfigEntries, type TopicDefinition } from './topics';

export interface ExistingTopic {
  name: string;
  partitions: number;
  configs: Record<string, string>;
}

export type TopicChange =
  | { kind: 'create'; def: TopicDefinition }
  | { kind: 'add-partitions'; def: TopicDefinition; from: number }
  | { kind: 'alter-configs'; def: TopicDefinition; changed: string[] }
  | { kind: 'unchanged'; def: TopicDefinition }
  | { kind: 'cannot-shrink'; def: TopicDefinition; from: number };

export function planTopicChanges(desired: TopicDefinition[], existing: ExistingTopic[]): TopicChange[] {
  const byName = new Map(existing.map((t) => [t.name, t]));
  const changes: TopicChange[] = [];
  for (const def of desired) {
    const current = byName.get(def.name);
    if (!current) {
      changes.push({ kind: 'create', def });
      continue;
    }
    let touched = false;
    if (current.partitions < def.partitions) {
      changes.push({ kind: 'add-partitions', def, from: current.partitions });
      touched = true;
    } else if (current.partitions > def.partitions) {
      // Kafka cannot remove partitions; keeping more is safe, so report it rather than fail.
      changes.push({ kind: 'cannot-shrink', def, from: current.partitions });
      touched = true;
    }
    const changed = topicConfigEntries(def)
      .filter((entry) => current.configs[entry.name] !== entry.value)
      .map((entry) => entry.name);
    if (changed.length > 0) {
      changes.push({ kind: 'alter-configs', def, changed });
      touched = true;
    }
    if (!touched) changes.push({ kind: 'unchanged', def });
  }
  return changes;
}

export function describeTopicChange(change: TopicChange): string {
  const d = change.def;
  switch (change.kind) {
    case 'create':
      return `created    ${d.name} (${d.partitions} partitions, ${d.cleanupPolicy})`;
    case 'add-partitions':
      return `partitions ${d.name} ${change.from} -> ${d.partitions}`;
    case 'alter-configs':
      return `configured ${d.name} (${change.changed.join(', ')})`;
    case 'cannot-shrink':
      return `kept       ${d.name} at ${change.from} partitions (defined ${d.partitions}; Kafka cannot shrink)`;
    case 'unchanged':
      return `unchanged  ${d.name}`;
  }
}
