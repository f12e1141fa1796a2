// Crash test of the segment engine: SIGKILLed at random moments while events flow and again right
// after midnight passes on its clock (while its timer exits profiles by time). Once drained: every
// change is there once per version (gap-free), any change id repeated carries the same bytes, and
// every exit by time happened: a restart loses no pending expiry and emits no second version.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { AvroCodec } from '../../services/common/codec/avro-codec';
import { definitionMessage } from '../../services/common/definitions/definitions-topic';
import { createProducer } from '../../services/common/kafka/producer';
import { readTopicToEnd } from '../../services/common/kafka/read-to-end';
import { computedTraitChanges } from '../../services/common/streams/computed-traits';
import { resolvedEvents } from '../../services/common/streams/resolved-events';
import { segmentMembership } from '../../services/common/streams/segment-membership';
import { deleteTenantSegmentState } from '../../services/segment-engine/segment-state-store';
import { config, createTopics, deleteTopics, testKafka, uniqueName } from '../support/real-stack';
import type { SegmentEngineChildSettings } from '../support/segment-engine-child';
import { startServiceChild, type ServiceChild } from '../support/service-child';
import { DAY, trackEvent } from '../support/segment-fixtures';

jest.setTimeout(600_000);
const PROFILES = Number(process.env.CDP_CHAOS_SEGMENT_PROFILES ?? 200);
const KILLS = Number(process.env.CDP_CHAOS_SEGMENT_KILLS ?? 4);
const kafka = testKafka();
const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
const redis = new Redis(config.CDP_REDIS_URL);
const tenant = uniqueName('segchaos').replace(/[^a-z0-9_-]/gi, '_');
const T0 = Date.UTC(2026, 0, 10, 12);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readAll<T>(
  topic: string,
  decode: (b: Buffer | null) => Promise<T>,
): Promise<{ value: Buffer; record: T }[]> {
  const out: { value: Buffer; record: T }[] = [];
  await readTopicToEnd({
    kafka,
    topic,
    onRecord: async ({ value }) => {
      if (value) out.push({ value, record: await decode(value) });
    },
  });
  return out;
}

test('kill -9 during events and right after midnight: no lost expiry, no second version of a change', async () => {
  const name = (role: string) => uniqueName(`test.segchaos.${role}`);
  const settings: SegmentEngineChildSettings = {
    inputs: { events: name('events'), changes: name('changes'), merges: name('merges') },
    outputs: { membership: name('membership'), computed: name('computed') },
    dlq: name('dlq'),
    definitionsTopic: name('definitions'),
    groupId: name('group'),
    clockFile: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'segchaos-')), 'now'),
    sessionTimeoutMs: 6000,
  };
  const topics = [
    ...Object.values(settings.inputs),
    ...Object.values(settings.outputs),
    settings.dlq,
    settings.definitionsTopic,
  ];
  await createTopics(kafka, Object.values(settings.inputs), 3);
  await createTopics(kafka, [...Object.values(settings.outputs), settings.dlq, settings.definitionsTopic], 1);
  const producer = await createProducer(kafka, { maxRequestBytes: 1_000_000 });
  fs.writeFileSync(settings.clockFile, String(T0));
  const startChild = () => startServiceChild('segment-engine-child.ts', settings);
  let child: ServiceChild | undefined;
  try {
    const definitions = [
      { kind: 'segment', id: 'recent', condition: { event: 'A', within_days: 1 } },
      { kind: 'segment', id: 'twice', condition: { event: 'A', count: { gte: 2 } } },
      { kind: 'computed_trait', id: 'a_today', event: 'A', within_days: 1, aggregate: 'count' },
    ];
    for (const d of definitions)
      await producer.send([
        await definitionMessage(
          codec,
          { tenant, kind: d.kind, id: d.id, version: 1, body: JSON.stringify(d), updatedAt: T0 },
          settings.definitionsTopic,
        ),
      ]);

    child = startChild();
    await child.ready;
    // Two events per profile, in batches, with kills in between.
    const batches = 10;
    const killAt = new Set(
      Array.from({ length: KILLS }, () => 1 + Math.floor(Math.random() * (batches - 1))),
    );
    for (let b = 0; b < batches; b++) {
      const messages = [];
      for (let p = b; p < PROFILES; p += batches) {
        for (const m of [0, 1]) {
          const e = trackEvent(tenant, `p${p}`, `m${p}-${m}`, 'A', T0 - m * 3_600_000);
          messages.push({
            topic: settings.inputs.events,
            key: `p${p}`,
            value: await codec.encodeRecord(resolvedEvents, e, settings.inputs.events),
          });
        }
      }
      await producer.send(messages);
      if (killAt.has(b)) {
        await sleep(50 + Math.random() * 400);
        await child.kill();
        child = startChild();
        await child.ready;
      }
    }
    const membership = () =>
      readAll(settings.outputs.membership, (v) => codec.decodeRecord(segmentMembership, v));
    const waitUntil = async (what: string, done: () => Promise<boolean>) => {
      const deadline = Date.now() + 180_000;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(500);
      }
    };
    const distinct = async () => new Set((await membership()).map((r) => r.record.changeId)).size;
    await waitUntil('every entry', async () => (await distinct()) >= 2 * PROFILES);

    // Midnight passes: the timer exits every profile from `recent`; it is killed while at it.
    fs.writeFileSync(settings.clockFile, String((Math.floor(T0 / DAY) + 1) * DAY + 1000));
    await sleep(150 + Math.random() * 200);
    await child.kill();
    child = startChild();
    await child.ready;
    await waitUntil('every exit by time', async () => (await distinct()) >= 3 * PROFILES);
    await child.stop();
    child = undefined;

    const problems: string[] = [];
    const check = <T extends { changeId: string; profileId: string; version: number }>(
      records: { value: Buffer; record: T }[],
      group: (r: T) => string,
      expected: (key: string) => number,
      keys: string[],
    ) => {
      const byId = new Map<string, Buffer>();
      const versions = new Map<string, Set<number>>();
      for (const { value, record } of records) {
        const before = byId.get(record.changeId);
        if (before && !before.equals(value)) problems.push(`${record.changeId}: two different records`);
        byId.set(record.changeId, value);
        const k = group(record);
        versions.set(k, (versions.get(k) ?? new Set()).add(record.version));
      }
      for (const k of keys) {
        const got = [...(versions.get(k) ?? [])].sort((a, b) => a - b);
        const want = Array.from({ length: expected(k) }, (_, i) => i + 1);
        if (got.join(',') !== want.join(','))
          problems.push(`${k}: versions ${got.join(',')} (want ${want.join(',')})`);
      }
    };
    const profiles = Array.from({ length: PROFILES }, (_, p) => `p${p}`);
    const m = await membership();
    check(
      m,
      (r) => `${r.segmentId} ${r.profileId}`,
      (k) => (k.startsWith('recent') ? 2 : 1),
      profiles.flatMap((p) => [`recent ${p}`, `twice ${p}`]),
    );
    const c = await readAll(settings.outputs.computed, (v) => codec.decodeRecord(computedTraitChanges, v));
    check(
      c,
      (r) => `${r.traitId} ${r.profileId}`,
      () => 3,
      profiles.map((p) => `a_today ${p}`),
    );
    const last = new Map(m.map(({ record: r }) => [`${r.segmentId} ${r.profileId} ${r.version}`, r.status]));
    for (const p of profiles)
      if (last.get(`recent ${p} 2`) !== 'exited') problems.push(`recent ${p}: no exit by time`);
    expect({ problems: problems.slice(0, 20), count: problems.length }).toEqual({ problems: [], count: 0 });
    process.stdout.write(
      `segment engine crash test: ${PROFILES} profiles, ${killAt.size + 1} kills, ${m.length} membership records (${await distinct()} distinct)\n`,
    );
  } finally {
    if (child) await child.kill();
    await producer.disconnect();
    await deleteTopics(kafka, topics);
    await deleteTenantSegmentState(redis, tenant);
    await redis.quit();
  }
});
