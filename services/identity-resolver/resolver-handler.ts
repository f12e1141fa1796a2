// The Kafka side of the identity resolver: raw event bytes in, encoded outputs out. Redis and
// registry failures propagate as plain errors so the runner retries; bad input is poison.
// The raw record is validated once, where it is decoded; the graph reads the few fields it needs
// (traits and context parsed, nothing else) and the resolved event is the same record passed on.
import type { RecordDecoder, RecordEncoder } from '../common/codec/avro-codec';
import type { AvroStream } from '../common/streams/stream';
import { decodeRawEventRecord } from '../common/events/decode-event';
import { jsonFieldOf, type RawEventRecord } from '../common/events/event-record';
import { PoisonMessageError, type ConsumedMessage } from '../common/kafka/consumed-message';
import type { MessageHandler } from '../common/kafka/consumer-runner';
import type { OutgoingMessage } from '../common/kafka/producer';
import type { IdentityEventInput } from './identity-event';
import type { IdentityOutcome, IdentityRejection, IdentitySuppressed } from './identity-outcome';
import type { ResolveOptions } from './identity-graph';
import type { IdentityRules } from './identity-rules';
import { ingestionWarnings } from '../common/streams/ingestion-warnings';
import { outcomeKey } from './redis-keys';
import { resolverEventsSuppressed } from './resolver-metrics';
import type { RecordOutputs } from './pending-outputs';
import {
  buildResolverOutputs,
  OUTPUT_STREAMS,
  type OutputKind,
  type ResolverOutput,
} from './resolver-outputs';
import type { WrittenSnapshot } from './snapshot-guard';

export type ResolverTopics = Record<OutputKind, string>;

export interface ResolverHandlerDeps {
  codec: RecordDecoder & RecordEncoder;
  graph: {
    resolveEvent(
      event: IdentityEventInput,
      rules: IdentityRules,
      at: number,
      options: ResolveOptions,
    ): Promise<IdentityOutcome | IdentityRejection | IdentitySuppressed>;
  };
  /** Told what each applied message left (stored outcome, snapshots), for the after-send step. */
  pending?: { note(message: ConsumedMessage, outputs: RecordOutputs): void };
  rulesFor(tenant: string): IdentityRules | undefined;
  topics: ResolverTopics;
  now?: () => Date;
  /**
   * Drop events carrying an identifier on the privacy suppression list (common/privacy/
   * suppression.ts), checked by the graph's script in the same call as the apply; absent: nothing
   * is suppressed.
   */
  refuseSuppressed?: boolean;
}

/** What the identity graph reads of a validated raw record: ids, traits, context and two instants. */
export function identityInputOf(record: RawEventRecord): IdentityEventInput {
  const input: IdentityEventInput = {
    messageId: record.messageId,
    tenant: record.tenant,
    type: record.type,
    traits: jsonFieldOf(record.traits),
    context: jsonFieldOf(record.context),
    timestamp: new Date(record.timestamp).toISOString(),
    receivedAt: new Date(record.receivedAt).toISOString(),
  };
  if (record.userId !== null) input.userId = record.userId;
  if (record.anonymousId !== null) input.anonymousId = record.anonymousId;
  if (record.previousId !== null) input.previousId = record.previousId;
  return input;
}

/**
 * The tenant the Kafka key names (`<tenant>:<type>:<value>`, see event-key.ts). A body naming
 * another tenant is refused: whoever could write the record could otherwise write into any
 * tenant's graph under a key (and partition) of its own.
 */
export function assertKeyTenant(message: ConsumedMessage, tenant: string, messageId: string): void {
  const key = message.key?.toString('utf8') ?? null;
  const keyTenant = key === null || !key.includes(':') ? null : key.slice(0, key.indexOf(':'));
  if (keyTenant !== tenant) {
    throw new PoisonMessageError(
      `event ${messageId}: body tenant '${tenant}' does not match the record key ${key === null ? '(none)' : JSON.stringify(key.slice(0, 200))}`,
      'TenantMismatch',
    );
  }
}

/**
 * What the snapshot guard checks for one event: the snapshots and tombstones among its outputs, and
 * on a replay or duplicate, every profile merged away since the message was applied to it. An
 * earlier delivery wrote a snapshot of one of those (each was live once); this one writes today's
 * survivor instead, so without them a crash between that earlier send and its guard would leave the
 * loser's old snapshot last on the topic, after the merge's tombstone.
 */
export function writtenSnapshots(outcome: IdentityOutcome, outputs: ResolverOutput[]): WrittenSnapshot[] {
  const { tenant } = outcome;
  const written: WrittenSnapshot[] = outputs
    .filter((o) => o.kind === 'profiles')
    .map((o) => ({ tenant, profileId: o.key, version: o.value === null ? null : o.value.version }));
  for (const { profileId, version } of outcome.mergedSince) {
    if (!written.some((w) => w.profileId === profileId))
      written.push({ tenant, profileId, version, earlierDelivery: true });
  }
  return written;
}

/**
 * One output's bytes, written as its kind's stream (null stays a tombstone), with the codec's
 * synchronous encoder for the kind's topic: an event writes three to five records.
 */
async function encodeOutput(
  codec: RecordEncoder,
  output: ResolverOutput,
  topic: string,
): Promise<Buffer | null> {
  if (output.value === null) return null;
  const encode = await codec.recordEncoder(OUTPUT_STREAMS[output.kind] as AvroStream, topic);
  return encode(output.value);
}

export function createResolverHandler(deps: ResolverHandlerDeps): MessageHandler {
  const now = deps.now ?? (() => new Date());
  return async (message: ConsumedMessage): Promise<OutgoingMessage[]> => {
    const event = await decodeRawEventRecord(deps.codec, message.value);
    assertKeyTenant(message, event.tenant, event.messageId);
    const rules = deps.rulesFor(event.tenant);
    if (rules === undefined) {
      throw new PoisonMessageError(
        `event ${event.messageId}: tenant '${event.tenant}' is not in the tenants file`,
        'UnknownTenant',
      );
    }
    const outcome = await deps.graph.resolveEvent(identityInputOf(event), rules, now().getTime(), {
      refuseSuppressed: deps.refuseSuppressed === true,
    });
    // Dropped before the graph: no profile, index entry or row comes back for a suppressed subject.
    if (outcome.status === 'suppressed') {
      resolverEventsSuppressed.inc({ tenant: event.tenant });
      const warning = {
        warningId: `${event.messageId}:suppressed:`,
        tenant: event.tenant,
        messageId: event.messageId,
        profileId: null,
        code: 'suppressed' as const,
        message: 'event dropped: it carries an identifier of a suppressed subject',
        identifier: null,
        trait: null,
        occurredAt: now().getTime(),
      };
      const topic = deps.topics.warnings;
      return [
        {
          topic,
          key: ingestionWarnings.key(warning),
          value: await deps.codec.encodeRecord(ingestionWarnings, warning, topic),
        },
      ];
    }
    const outputs = buildResolverOutputs(event, outcome);
    // Unresolved and rejected outcomes threw above; a duplicate stored no outcome but re-sent its snapshot.
    if (outcome.status !== 'unresolved' && outcome.status !== 'rejected') {
      deps.pending?.note(message, {
        outcomeKey:
          outcome.status === 'duplicate' ? undefined : outcomeKey(outcome.tenant, outcome.messageId),
        snapshots: writtenSnapshots(outcome, outputs),
      });
    }
    return Promise.all(
      outputs.map(async (output) => {
        const topic = deps.topics[output.kind];
        return {
          topic,
          key: output.key,
          value: await encodeOutput(deps.codec, output, topic),
        };
      }),
    );
  };
}
