// The segment engine as a stream processor: resolved events, profile changes and merges in;
// membership and computed-trait changes out. Beside the runner it follows the definitions (edits
// re-evaluate the tenant's profiles; a deleted segment exits its members) and runs the expiry timer,
// which re-evaluates profiles whose window dropped a day, so exits by time need no new event.
import { AvroCodec } from '../common/codec/avro-codec';
import { createClickHouse } from '../common/clickhouse/clickhouse-client';
import type { Config } from '../common/config';
import { DefinitionsFollower } from '../common/definitions/definitions-follower';
import { PoisonMessageError, type ConsumedMessage } from '../common/kafka/consumed-message';
import { createKafka } from '../common/kafka/kafka-client';
import type { OutgoingMessage } from '../common/kafka/producer';
import { TOPICS } from '../common/kafka/topics';
import type { Logger } from '../common/logger';
import { createRedis } from '../common/redis/redis-client';
import { runAsMain } from '../common/runtime/run-services';
import { defineStreamProcessor, type RunningProcessor } from '../common/runtime/stream-processor';
import { computedTraitChanges } from '../common/streams/computed-traits';
import { identityMerges } from '../common/streams/identity-merges';
import { profileChanges, type ProfileChangeRecord } from '../common/streams/profile-changes';
import { resolvedEvents } from '../common/streams/resolved-events';
import { segmentMembership } from '../common/streams/segment-membership';
import { preparedEvent, SegmentEngine, type PreparedEvent, type StepResult } from './segment-engine';
import { eventsOfTenant, profilesOfTenant } from './clickhouse-backfill';
import { definitionEventNames } from './segment-plan';
import { encodeOutputs, type SegmentOutputTopics } from './segment-outputs';
import { forgetOutcomes, indexExistingMemberSets, unsentOutcomes } from './segment-state-store';
import { TenantPlans } from './tenant-plans';

export const SEGMENT_ENGINE_GROUP_ID = 'cdp-segment-engine';

type Input = 'events' | 'changes' | 'merges';

export interface SegmentEngineOptions {
  /** The engine's clock (tests move it); default Date.now. */
  now?: () => number;
  /** How often the timer looks for due profiles (default 5 s: exits by time land within 60 s). */
  tickMs?: number;
  /** Tests follow a definitions topic of their own. */
  definitionsTopic?: string;
  /** Tests only: keep stored outcomes after the send, as a crash before the clean-up would. */
  keepOutcomes?: boolean;
  /** Where a definition change reads profiles' traits from (default CDP_CLICKHOUSE_DATABASE). */
  clickhouseDatabase?: string;
}

export const segmentEngine = defineStreamProcessor<Input, keyof SegmentOutputTopics, SegmentEngineOptions>({
  name: 'segment-engine',
  description:
    'keeps segment membership and computed traits live from resolved events, profile changes and merges',
  defaultOpsPort: 9104,
  groupId: SEGMENT_ENGINE_GROUP_ID,
  inputs: { events: TOPICS.eventsResolved, changes: TOPICS.profileChanges, merges: TOPICS.identityMerges },
  outputs: { membership: TOPICS.segmentMembership, computed: TOPICS.computedTraitChanges },
  dlq: TOPICS.eventsDlq,
  async setup({ config, logger, topics, options, resources, producer }) {
    const now = options.now ?? (() => Date.now());
    const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    await codec.register(topics.outputs.membership, segmentMembership.schema());
    await codec.register(topics.outputs.computed, computedTraitChanges.schema());
    const redis = resources.add('redis', createRedis(config.CDP_REDIS_URL, 'cdp-segment-engine'), (r) =>
      r.quit(),
    );
    // Member sets written before their per-tenant index existed: indexed once here, at start.
    const indexed = await indexExistingMemberSets(redis);
    logger.debug({ memberSets: indexed }, 'member sets indexed');
    const clickhouse = resources.add('clickhouse', createClickHouse(config), (c) => c.close());
    const database = options.clickhouseDatabase ?? config.CDP_CLICKHOUSE_DATABASE;
    const follower = new DefinitionsFollower({
      kafka: createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-segment-engine-definitions`),
      codec,
      logger,
      topic: options.definitionsTopic,
      kinds: ['segment', 'computed_trait'],
    });
    resources.add('definitions', follower, (f) => f.stop());
    await follower.start();
    const plans = new TenantPlans(follower);
    const engine = new SegmentEngine({ redis, planFor: (t) => plans.get(t), now });

    /** Records made outside a chunk (time, definitions): sent, then released. Safe to repeat. */
    const sendOutside = async (results: StepResult[]): Promise<void> => {
      for (const r of results) {
        if (r.inputId === undefined) continue;
        await producer.send(await encodeOutputs(codec, r.outputs, topics.outputs));
        if (!options.keepOutcomes) await forgetOutcomes(redis, r.tenant, [r.inputId]);
      }
    };
    // A crash between a commit and its send left records listed as unsent: send them first.
    for (const tenant of plans.tenants())
      await sendOutside(await unsentOutcomes(redis, tenant).then((u) => u.map((x) => ({ tenant, ...x }))));

    // Definition changes: a deleted segment exits its members; any other change marks its tenant for
    // a backfill. The work runs one step at a time after the follower's callback, and one backfill
    // covers every change of a tenant that arrived before it started (an apply of 30 definitions
    // backfills once).
    const deleted: { tenant: string; id: string; version: number }[] = [];
    const dirty = new Map<string, { label: string; events: Set<string> }>();
    const backfill = async (tenant: string, label: string, eventNames: string[]) => {
      // Profiles' traits from ClickHouse first (profiles the engine never held, e.g. from before the
      // tenant's first definition), then every profile the engine holds, evaluated on its state.
      let fromClickHouse = 0;
      for await (const page of profilesOfTenant(clickhouse, database, tenant)) {
        const results: StepResult[] = [];
        for (const row of page)
          results.push(await engine.onProfileSnapshot(tenant, row.profileId, row.version, row.traits, label));
        await sendOutside(results);
        fromClickHouse += page.length;
        logger.info(
          { tenant, definition: label, profiles: fromClickHouse },
          'backfill progress (ClickHouse profiles)',
        );
      }
      // Then the history of the events the changed definitions read, from events_resolved.
      let fromHistory = 0;
      for await (const page of eventsOfTenant(clickhouse, database, tenant, eventNames)) {
        const results: StepResult[] = [];
        for (const [profileId, events] of page)
          results.push(await engine.onHistory(tenant, profileId, events, label));
        await sendOutside(results);
        fromHistory += page.size;
        logger.info(
          { tenant, definition: label, profiles: fromHistory },
          'backfill progress (ClickHouse events)',
        );
      }
      const results = await engine.reevaluateAll(tenant, label, (done) =>
        logger.info({ tenant, definition: label, profiles: done }, 'backfill progress (engine state)'),
      );
      await sendOutside(results);
      logger.info({ tenant, definition: label, changed: results.length }, 'backfill done');
    };
    const drain = async () => {
      for (let d = deleted.shift(); d !== undefined; d = deleted.shift()) {
        await sendOutside(await engine.exitSegment(d.tenant, d.id, d.version));
        logger.info({ tenant: d.tenant, segment: d.id }, 'segment deleted; its members exited');
      }
      for (const [tenant, work] of [...dirty]) {
        dirty.delete(tenant);
        await backfill(tenant, work.label, [...work.events].sort());
      }
    };
    let definitionWork = Promise.resolve();
    follower.onChange((change) => {
      plans.rebuild(change.tenant);
      if (change.kind === 'segment' && change.after === undefined && change.before !== undefined)
        deleted.push({ tenant: change.tenant, id: change.id, version: change.before.version });
      else {
        const work = dirty.get(change.tenant) ?? { label: '', events: new Set<string>() };
        work.label = `${change.kind}:${change.id}:${change.after?.version ?? 0}`;
        for (const name of definitionEventNames(change.after?.body)) work.events.add(name);
        dirty.set(change.tenant, work);
      }
      definitionWork = definitionWork
        .then(drain)
        .catch((err: unknown) => logger.error({ err }, 'definition backfill failed'));
    });

    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async (): Promise<void> => {
      for (const tenant of plans.tenants()) {
        for (;;) {
          const due = await engine.due(tenant, 200);
          if (due.length === 0 || stopped) break;
          const results: StepResult[] = [];
          for (const profileId of due) results.push(await engine.onTime(tenant, profileId));
          await sendOutside(results);
        }
      }
    };
    const loop = (): void => {
      timer = setTimeout(() => {
        tick()
          .catch((err: unknown) => logger.warn({ err }, 'expiry timer failed; retrying at the next tick'))
          .finally(() => {
            if (!stopped) loop();
          });
      }, options.tickMs ?? 5000);
    };
    loop();
    resources.add('expiry-timer', null, () => {
      stopped = true;
      clearTimeout(timer);
    });

    // Per consumed record (the chunk processor hands the same record objects to handle, afterChunk
    // and afterSend; a redelivered chunk brings new ones, and an abandoned chunk's entries go with
    // its records): the stored outcome to release once sent, and the decoded event or change.
    const pending = new WeakMap<ConsumedMessage, { tenant: string; inputId: string }>();
    // Resolved events and profile changes are decoded (a bad one goes to the DLQ) by the handler and
    // kept here; the chunk's events (or changes) go through the engine together after the last one
    // (afterChunk), grouped by profile, so a profile is read and committed once per chunk rather than
    // once per record. Merges (a few per thousand records) are taken one at a time.
    const prepared = new WeakMap<ConsumedMessage, PreparedEvent>();
    const changes = new WeakMap<ConsumedMessage, ProfileChangeRecord>();
    return {
      handle: async (message: ConsumedMessage) => {
        let result: StepResult;
        if (message.topic === topics.inputs.events) {
          prepared.set(message, preparedEvent(await codec.decodeRecord(resolvedEvents, message.value)));
          return [];
        } else if (message.topic === topics.inputs.changes) {
          changes.set(message, await codec.decodeRecord(profileChanges, message.value));
          return [];
        } else if (message.topic === topics.inputs.merges) {
          result = await engine.onMerge(await codec.decodeRecord(identityMerges, message.value));
        } else {
          throw new PoisonMessageError(`segment engine: unexpected topic ${message.topic}`);
        }
        if (result.inputId !== undefined)
          pending.set(message, { tenant: result.tenant, inputId: result.inputId });
        return encodeOutputs(codec, result.outputs, topics.outputs);
      },
      afterChunk: async (messages) => {
        const eventMessages: ConsumedMessage[] = [];
        const events: PreparedEvent[] = [];
        const changeMessages: ConsumedMessage[] = [];
        const changeRecords: ProfileChangeRecord[] = [];
        for (const m of messages) {
          const e = prepared.get(m);
          if (e !== undefined) {
            eventMessages.push(m);
            events.push(e);
          }
          const c = changes.get(m);
          if (c !== undefined) {
            changeMessages.push(m);
            changeRecords.push(c);
          }
        }
        if (events.length + changeRecords.length === 0) return [];
        const results = [
          ...(events.length === 0 ? [] : await engine.onEvents(events)),
          ...(changeRecords.length === 0 ? [] : await engine.onProfileChanges(changeRecords)),
        ];
        const inputs = [...eventMessages, ...changeMessages];
        const outputs: OutgoingMessage[] = [];
        for (const [i, result] of results.entries()) {
          if (result.inputId !== undefined)
            pending.set(inputs[i]!, { tenant: result.tenant, inputId: result.inputId });
          if (result.outputs.membership.length + result.outputs.computed.length > 0)
            outputs.push(...(await encodeOutputs(codec, result.outputs, topics.outputs)));
        }
        return outputs;
      },
      afterSend: async (messages) => {
        const byTenant = new Map<string, string[]>();
        for (const m of messages) {
          const p = pending.get(m);
          if (p === undefined) continue;
          const ids = byTenant.get(p.tenant);
          if (ids === undefined) byTenant.set(p.tenant, [p.inputId]);
          else ids.push(p.inputId);
        }
        if (!options.keepOutcomes)
          for (const [tenant, ids] of byTenant) await forgetOutcomes(redis, tenant, ids);
        for (const m of messages) {
          pending.delete(m);
          prepared.delete(m);
          changes.delete(m);
        }
      },
      health: async () => ({ ok: redis.status === 'ready', detail: { redis: redis.status } }),
    };
  },
});

export interface SegmentEngineOverrides extends SegmentEngineOptions {
  inputs?: Partial<Record<Input, string>>;
  outputs?: Partial<SegmentOutputTopics>;
  dlq?: string;
  groupId?: string;
}

export function startSegmentEngine(
  config: Config,
  logger: Logger,
  overrides: SegmentEngineOverrides = {},
): Promise<RunningProcessor> {
  const { inputs, outputs, dlq, groupId, ...options } = overrides;
  return segmentEngine.startWith(config, logger, { topics: { inputs, outputs, dlq }, groupId, options });
}

export const segmentEngineService = segmentEngine;

if (require.main === module) runAsMain(segmentEngine);
