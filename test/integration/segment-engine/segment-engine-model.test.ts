// Property test: random histories (out-of-order timestamps, redelivered events and changes, merges,
// time passing) and random definitions through the real engine on the real Redis equal the reference
// model; the same cases through the SQL compiler on the running ClickHouse give the same members.
import fc from 'fast-check';
import type { ResolvedEventRecord } from '../../../services/common/streams/resolved-events';
import type { ProfileChangeRecord } from '../../../services/common/streams/profile-changes';
import Redis from 'ioredis';
import { createClickHouse } from '../../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../../services/common/clickhouse/migrator';
import type { ComputedTraitDefinition } from '../../../services/common/definitions/kinds/computed-trait';
import { computedTraitSchema } from '../../../services/common/definitions/kinds/computed-trait';
import { segmentSchema, type SegmentDefinition } from '../../../services/common/definitions/kinds/segment';
import { eventRow } from '../../../services/clickhouse-sink/event-rows';
import { profileRows } from '../../../services/clickhouse-sink/profile-rows';
import { readProfileSegments } from '../../../services/segment-engine/profile-segments';
import {
  preparedEvent,
  SegmentEngine,
  type StepResult,
} from '../../../services/segment-engine/segment-engine';
import { membersKey } from '../../../services/segment-engine/redis-keys';
import { buildPlan } from '../../../services/segment-engine/segment-plan';
import {
  deleteTenantSegmentState,
  forgetOutcomes,
} from '../../../services/segment-engine/segment-state-store';
import { compileSegment } from '../../../services/segment-engine/sql/compile-segment';
import { config } from '../../support/real-stack';
import { definitionSet, history } from '../../support/segment-arbitraries';
import { runReference, type HistoryOp } from '../../support/segment-reference-model';
import { stored, trackEvent, traitChange } from '../../support/segment-fixtures';

jest.setTimeout(600_000);
const redis = new Redis(config.CDP_REDIS_URL);
const clickhouse = createClickHouse(config);
const database = `cdp_segmodel_test_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
const db = sqlIdentifier(database);
const START = Date.UTC(2026, 0, 10, 20, 0, 0);
let run = 0;

beforeAll(() => migrate(clickhouse, database, loadMigrations()));
afterAll(async () => {
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await clickhouse.close();
  await redis.quit();
});

async function throughEngine(
  tenant: string,
  ops: HistoryOp[],
  segments: SegmentDefinition[],
  traits: ComputedTraitDefinition[],
): Promise<number> {
  let now = START;
  const plan = buildPlan(
    segments.map((s) => stored(tenant, s)),
    traits.map((t) => stored(tenant, t)),
  );
  const engine = new SegmentEngine({ redis, planFor: () => plan, now: () => now });
  const ack = async (r: StepResult) => {
    if (r.inputId !== undefined) await forgetOutcomes(redis, tenant, [r.inputId]);
  };
  const timer = async () => {
    for (const p of await engine.due(tenant, 100)) await ack(await engine.onTime(tenant, p));
  };
  let merges = 0;
  // Runs of consecutive events go through onEvents together, and runs of consecutive trait changes
  // through onProfileChanges, as a consumed chunk does (a profile's records of a run are read,
  // applied and committed at once; a profile's single record goes alone).
  let run: ResolvedEventRecord[] = [];
  let changes: ProfileChangeRecord[] = [];
  const flush = async () => {
    for (const r of await engine.onEvents(run.map(preparedEvent))) await ack(r);
    run = [];
    for (const r of await engine.onProfileChanges(changes)) await ack(r);
    changes = [];
  };
  for (const o of ops) {
    if (o.op === 'event') {
      const e = o.event;
      if (changes.length > 0) await flush();
      run.push(trackEvent(tenant, e.profileId, e.messageId, e.event, e.timestamp, e.properties));
      continue;
    }
    if (o.op === 'traits') {
      if (run.length > 0) await flush();
      changes.push(traitChange(tenant, o.profileId, o.version, o.traits));
      continue;
    }
    await flush();
    if (o.op === 'tick') {
      now += o.ms;
      await timer();
    } else {
      merges += 1;
      await ack(
        await engine.onMerge({
          mergeId: `${o.loserId}:${o.survivorId}:${merges}`,
          tenant,
          loserId: o.loserId,
          survivorId: o.survivorId,
          survivorVersion: 1,
          identifiersMoved: [],
          sourceMessageId: null,
          mergedAt: now,
        }),
      );
    }
  }
  await flush();
  return now;
}

async function intoClickHouse(
  tenant: string,
  ops: HistoryOp[],
  roots: Map<string, string>,
  traitsOf: Map<string, Record<string, unknown>>,
) {
  const events = ops.filter((o): o is HistoryOp & { op: 'event' } => o.op === 'event');
  if (events.length > 0)
    await clickhouse.insert({
      table: `${db}.events`,
      values: events.map(({ event: e }) =>
        eventRow(trackEvent(tenant, e.profileId, e.messageId, e.event, e.timestamp, e.properties)),
      ),
      format: 'JSONEachRow',
    });
  const profiles = [...traitsOf].map(([id, traits]) => {
    const row = profileRows({
      tenant,
      profileId: id,
      version: 1,
      traits: JSON.stringify(traits),
      identifiers: [],
      firstSeen: START,
      lastSeen: START,
      updatedAt: START,
      mergedInto: roots.get(id) ?? null,
    } as never).profile;
    return row;
  });
  await clickhouse.insert({ table: `${db}.profiles`, values: profiles, format: 'JSONEachRow' });
  if (roots.size > 0)
    await clickhouse.insert({
      table: `${db}.profile_overrides`,
      values: [...roots].map(([old, root]) => ({
        tenant,
        old_profile_id: old,
        override_profile_id: root,
        version: 1,
        merged_at: '2026-01-01 00:00:00',
      })),
      format: 'JSONEachRow',
    });
}

test('engine on Redis and SQL on ClickHouse equal the reference model', async () => {
  await fc.assert(
    fc.asyncProperty(definitionSet, history(START), async ({ segments, traits }, ops) => {
      const tenant = `segmodel_${process.pid}_${run++}`;
      const parsedSegments = segments.map((s) => segmentSchema.parse(s));
      const parsedTraits = traits.map((t) => computedTraitSchema.parse(t));
      try {
        const end = await throughEngine(tenant, ops, parsedSegments, parsedTraits);
        const { result, now } = runReference(ops, parsedSegments, parsedTraits, START);
        expect(now).toBe(end);
        for (const [p, want] of result.profiles) {
          const got = await readProfileSegments(redis, tenant, p);
          const computed = Object.fromEntries(parsedTraits.map((t) => [t.id, got.computed[t.id] ?? null]));
          expect({ p, segments: got.segments.map((s) => s.id), computed }).toEqual({ p, ...want });
        }
        for (const loser of result.roots.keys())
          expect((await readProfileSegments(redis, tenant, loser)).segments).toEqual([]);

        // The same history in ClickHouse: survivors' traits (the last value of each), losers pointing at their root.
        const traitsOf = new Map<string, Record<string, unknown>>();
        for (const o of ops)
          if (o.op === 'traits') traitsOf.set(o.profileId, { ...traitsOf.get(o.profileId), ...o.traits });
        for (const [id, t] of traitsOf)
          traitsOf.set(id, Object.fromEntries(Object.entries(t).filter(([, v]) => v !== null)));
        await intoClickHouse(tenant, ops, result.roots, traitsOf);
        const ctx = {
          database,
          tenant,
          now,
          segments: new Map(parsedSegments.map((s) => [s.id, s])),
          traits: new Map(parsedTraits.map((t) => [t.id, t])),
        };
        for (const s of parsedSegments) {
          const rs = await clickhouse.query({ query: compileSegment(s, ctx), format: 'JSONEachRow' });
          const fromSql = (await rs.json<{ profile_id: string }>()).map((r) => r.profile_id).sort();
          const want = [...result.profiles]
            .filter(([, v]) => v.segments.includes(s.id))
            .map(([p]) => p)
            .sort();
          expect({ segment: s.id, members: fromSql }).toEqual({ segment: s.id, members: want });
          // The member set (what `members` and `verify` read) too: a batch of a profile's events may
          // enter and exit a segment in turn, and the set must hold the last of them.
          const live = (await redis.zrange(membersKey(tenant, s.id), 0, -1)).sort();
          expect({ segment: s.id, live }).toEqual({ segment: s.id, live: want });
        }
      } finally {
        await deleteTenantSegmentState(redis, tenant);
      }
    }),
    { numRuns: Number(process.env.CDP_SEGMENT_MODEL_RUNS ?? 40) },
  );
});
