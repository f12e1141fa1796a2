// Pure diff between the topics a cluster has and the ones the code defines.
import { topicConfigEntries, type TopicDefinition } from './topics';

export interface ExistingTopic {
  name: string;
  partitions: number;
  /** Copies of its partitions (the smallest, should they differ). */
  replicationFactor: number;
  configs: Record<string, string>;
}

export type TopicChange =
  | { kind: 'create'; def: TopicDefinition }
  | { kind: 'add-partitions'; def: TopicDefinition; from: number }
  | { kind: 'alter-configs'; def: TopicDefinition; changed: string[] }
  | { kind: 'unchanged'; def: TopicDefinition }
  | { kind: 'cannot-shrink'; def: TopicDefinition; from: number }
  | { kind: 'replication-differs'; def: TopicDefinition; from: number };

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
    if (def.replicationFactor !== undefined && current.replicationFactor !== def.replicationFactor) {
      // Only a partition reassignment changes it, which moves data between brokers: an operator's call.
      changes.push({ kind: 'replication-differs', def, from: current.replicationFactor });
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

/**
 * Partition counts change only when asked for: a key's partition is its hash modulo the count, so
 * after growth new records of a key land elsewhere than its old ones (per-key order across the
 * change is lost, and a compacted topic keeps one stale record per moved key in its old partition).
 */
export function needsConfirmation(changes: TopicChange[]): boolean {
  return changes.some((c) => c.kind === 'add-partitions');
}

function replicationNote(d: TopicDefinition): string {
  if (d.replicationFactor === undefined) return '';
  return `, replication ${d.replicationFactor}, min.insync ${d.minInsyncReplicas ?? 'default'}`;
}

/** One line per change; `planned` words it as what would happen (nothing applied yet). */
export function describeTopicChange(change: TopicChange, mode: 'done' | 'planned' = 'done'): string {
  const d = change.def;
  const planned = mode === 'planned';
  switch (change.kind) {
    case 'create':
      return `${planned ? 'create    ' : 'created   '} ${d.name} (${d.partitions} partitions, ${d.cleanupPolicy}${replicationNote(d)})`;
    case 'add-partitions':
      return (
        `partitions ${d.name} ${change.from} -> ${d.partitions}` +
        (planned ? ' (keys move to other partitions: per-key order across the change is lost)' : '')
      );
    case 'alter-configs':
      return `${planned ? 'configure ' : 'configured'} ${d.name} (${change.changed.join(', ')})`;
    case 'cannot-shrink':
      return (
        `kept       ${d.name} at ${change.from} partitions (defined ${d.partitions}): Kafka cannot remove ` +
        'partitions; fewer needs a new topic and a copy of the data'
      );
    case 'replication-differs':
      return (
        `kept       ${d.name} at replication ${change.from} (wanted ${String(d.replicationFactor)}): ` +
        'Kafka changes it only by reassigning partitions (kafka-reassign-partitions.sh)'
      );
    case 'unchanged':
      return `unchanged  ${d.name}`;
  }
}
