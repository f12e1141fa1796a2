// The sink's per-record handler: decode, map to rows, buffer. Rows reach ClickHouse when a bound is
// hit or when the runner's afterChunk flushes, which happens before the chunk's offset is committed.
import type { RecordDecoder } from '../common/codec/avro-codec';
import { toWellFormedJson } from '../common/events/well-formed-json';
import type { ConsumedMessage } from '../common/kafka/consumed-message';
import type { MessageHandler } from '../common/kafka/consumer-runner';
import { deliveryDecisions } from '../common/streams/activation';
import { identityMerges, type IdentityMergeRecord } from '../common/streams/identity-merges';
import { ingestionWarnings } from '../common/streams/ingestion-warnings';
import { profileSnapshots } from '../common/streams/profile-snapshots';
import { resolvedEvents } from '../common/streams/resolved-events';
import { computedTraitChanges } from '../common/streams/computed-traits';
import { segmentMembership } from '../common/streams/segment-membership';
import type { ClickHouseBatcher, Row } from './clickhouse-batcher';
import { deadLetterRow } from './dead-letter-rows';
import { deliveryRow } from './delivery-rows';
import { eventRow } from './event-rows';
import { mergedLoserRow } from './merged-profile-row';
import { overrideRows } from './override-rows';
import type { OverrideLookup } from './override-store';
import { profileRows } from './profile-rows';
import { computedTraitRow, currentMembershipRow, membershipChangeRow } from './segment-rows';
import { warningRow } from './warning-rows';

export type SinkInput =
  'events' | 'profiles' | 'merges' | 'warnings' | 'deadLetters' | 'deliveries' | 'membership' | 'computed';

/** The stream each input carries, whatever its topic is called (dead letters are not Avro). */
export const SINK_INPUT_STREAMS = {
  events: resolvedEvents,
  profiles: profileSnapshots,
  merges: identityMerges,
  warnings: ingestionWarnings,
  deliveries: deliveryDecisions,
  membership: segmentMembership,
  computed: computedTraitChanges,
} as const;

export interface SinkHandlerOptions {
  codec: RecordDecoder;
  batcher: ClickHouseBatcher;
  overrides: OverrideLookup;
  /** Consumed topic -> what it carries. */
  inputs: Map<string, SinkInput>;
}

export function createSinkHandler(options: SinkHandlerOptions): MessageHandler {
  const { codec, batcher, overrides } = options;
  // Merges are rare and read what earlier merges wrote; one at a time keeps the overrides flat even
  // when two merges of one chain are handled concurrently (different keys or partitions).
  let mergeQueue: Promise<void> = Promise.resolve();

  /** Every row leaves with well-formed strings and the record it came from (for the DLQ). */
  function add(table: string, rows: Row[], source: ConsumedMessage): void {
    batcher.add(table, rows.map(toWellFormedJson), source);
  }

  async function handleMerge(merge: IdentityMergeRecord, message: ConsumedMessage): Promise<void> {
    // Earlier overrides and snapshots may still be buffered: they must be in ClickHouse before we read them.
    await batcher.flush();
    const target = await overrides.targetOf(merge.tenant, merge.survivorId);
    // A merge read out of order (survivor already merged away) still points at the root.
    const root = target ?? merge.survivorId;
    const descendants = await overrides.descendantsOf(merge.tenant, merge.loserId);
    const loser = await overrides.profileOf(merge.tenant, merge.loserId);
    add('profile_overrides', overrideRows(merge, root, descendants), message);
    add('profiles', [mergedLoserRow(merge, loser)], message);
  }

  return async (message) => {
    const input = options.inputs.get(message.topic);
    if (!input) throw new Error(`clickhouse-sink: no mapping for topic ${message.topic}`);
    // Before buffering: a failed flush throws here, the runner backs off, and nothing is buffered twice.
    await batcher.makeRoom();
    if (input === 'deadLetters') {
      add('dead_letters', [deadLetterRow(message)], message);
      return [];
    }
    // A compacted-topic tombstone carries only the profile id as key, no tenant: deletion from
    // ClickHouse is the privacy service's job (mutations), so the sink has nothing to write.
    if (input === 'profiles' && message.value === null) return [];
    switch (input) {
      case 'events': {
        const event = await codec.decodeRecord(SINK_INPUT_STREAMS.events, message.value);
        add('events', [eventRow(event)], message);
        break;
      }
      case 'profiles': {
        const rows = profileRows(await codec.decodeRecord(SINK_INPUT_STREAMS.profiles, message.value));
        add('profiles', [rows.profile], message);
        add('identities', rows.identities, message);
        break;
      }
      case 'warnings': {
        const warning = await codec.decodeRecord(SINK_INPUT_STREAMS.warnings, message.value);
        add('ingestion_warnings', [warningRow(warning)], message);
        break;
      }
      case 'deliveries': {
        const decision = await codec.decodeRecord(SINK_INPUT_STREAMS.deliveries, message.value);
        add('deliveries', [deliveryRow(decision)], message);
        break;
      }
      case 'membership': {
        const change = await codec.decodeRecord(SINK_INPUT_STREAMS.membership, message.value);
        add('segment_membership_changes', [membershipChangeRow(change)], message);
        add('segment_membership', [currentMembershipRow(change)], message);
        break;
      }
      case 'computed': {
        const change = await codec.decodeRecord(SINK_INPUT_STREAMS.computed, message.value);
        add('computed_trait_values', [computedTraitRow(change)], message);
        break;
      }
      case 'merges': {
        const merge = await codec.decodeRecord(SINK_INPUT_STREAMS.merges, message.value);
        const run = mergeQueue.catch(() => undefined).then(() => handleMerge(merge, message));
        mergeQueue = run;
        await run;
        break;
      }
    }
    return [];
  };
}
