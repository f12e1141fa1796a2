// The demo's segments part: two segments of the demo tenant fill up live while an in-process segment
// engine reads the resolved events, and members leave `demo-recent-buyers` by time alone. The engine's
// clock is the wall clock plus an offset the demo moves forward one UTC midnight at a time (a real
// engine exits the same profiles at the real midnights). The demo tenant's segment state is rebuilt
// from the resolved events on every run (fresh consumer group), so reruns show the same thing.
import { AvroCodec } from '../../common/codec/avro-codec';
import type { Config } from '../../common/config';
import { definitionMessage, readDefinitions } from '../../common/definitions/definitions-topic';
import { sameBody } from '../../common/definitions/validate-definitions';
import { createKafka } from '../../common/kafka/kafka-client';
import { deletePrivateGroups } from '../../common/kafka/private-readers';
import { createProducer } from '../../common/kafka/producer';
import { TOPICS } from '../../common/kafka/topics';
import { createLogger } from '../../common/logger';
import { createRedis } from '../../common/redis/redis-client';
import { segmentMembership } from '../../common/streams/segment-membership';
import { startSegmentEngine } from '../../segment-engine/main';
import { readProfileSegments } from '../../segment-engine/profile-segments';
import { deleteTenantSegmentState } from '../../segment-engine/segment-state-store';
import { membersKey } from '../../segment-engine/redis-keys';

const TENANT = 'demo';
const DAY_MS = 86_400_000;
export const DEMO_DEFINITIONS = [
  {
    kind: 'segment',
    id: 'demo-browsers',
    name: 'Viewed two products or more',
    condition: { event: 'Product Viewed', count: { gte: 2 } },
  },
  {
    kind: 'segment',
    id: 'demo-recent-buyers',
    name: 'Ordered in the last 3 days',
    condition: { event: 'Order Completed', within_days: 3 },
  },
  {
    kind: 'computed_trait',
    id: 'demo-revenue',
    event: 'Order Completed',
    aggregate: 'sum',
    property: 'revenue',
  },
] as const;
const SHOWN = ['demo-browsers', 'demo-recent-buyers'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSegmentsDemo(
  config: Config,
  say: (line: string) => void,
  /** Runs once the definitions are published and before the engine starts (the activation part). */
  beforeEngine?: () => Promise<void>,
): Promise<void> {
  const run = Date.now();
  const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-demo-segments`, { quiet: true });
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-demo-segments');
  const producer = await createProducer(kafka);
  const engineGroup = `cdp-demo-segment-engine-${run}`;
  const watchGroup = `cdp-demo-segments-watch-${run}`;
  const counts = new Map(SHOWN.map((id) => [id, { entered: 0, exited: 0 }]));
  const watcher = kafka.consumer({ groupId: watchGroup });
  let offset = 0;
  let engine: Awaited<ReturnType<typeof startSegmentEngine>> | undefined;
  try {
    say("segments: the demo tenant's segments and a computed trait (what `cdp segments apply` publishes)");
    const stored = await readDefinitions(kafka, codec, { tenant: TENANT });
    for (const body of DEMO_DEFINITIONS) {
      const before = stored.find((d) => d.kind === body.kind && d.id === body.id);
      say(`  ${body.kind} ${body.id}: ${JSON.stringify('condition' in body ? body.condition : body)}`);
      if (before && sameBody(before.body, body)) continue;
      const record = {
        tenant: TENANT,
        kind: body.kind,
        id: body.id,
        version: (before?.version ?? 0) + 1,
        body: JSON.stringify(body),
        updatedAt: Date.now(),
      };
      await producer.send([await definitionMessage(codec, record)]);
    }
    await deleteTenantSegmentState(redis, TENANT);
    await beforeEngine?.();

    await watcher.connect();
    const joined = new Promise<void>((resolve) => watcher.on(watcher.events.GROUP_JOIN, () => resolve()));
    await watcher.subscribe({ topic: TOPICS.segmentMembership, fromBeginning: false });
    await watcher.run({
      eachMessage: async ({ message }) => {
        const r = await codec.decodeRecord(segmentMembership, message.value);
        const c = r.tenant === TENANT ? counts.get(r.segmentId) : undefined;
        if (c) c[r.status] += 1;
      },
    });
    await joined;

    say('segments: a segment engine in this process reads the resolved events from the start');
    engine = await startSegmentEngine(config, createLogger('cdp-demo', 'warn'), {
      groupId: engineGroup,
      now: () => Date.now() + offset,
      tickMs: 500,
    });
    const line = () =>
      SHOWN.map((id) => {
        const c = counts.get(id)!;
        return `${id} ${c.entered - c.exited} in (${c.entered} entered, ${c.exited} exited)`;
      }).join(' | ');
    /** Prints while the counts move; returns once they stood still for 3 s. */
    const follow = async (label: string) => {
      let last = '';
      let still = 0;
      for (let i = 0; i < 120 && still < 6; i++) {
        await sleep(500);
        const now = line();
        if (now !== last) {
          say(`  ${label} ${now}`);
          still = 0;
        } else still += 1;
        last = now;
      }
    };
    await follow('live:');
    for (let day = 1; day <= 4; day++) {
      offset = (Math.floor(Date.now() / DAY_MS) + day) * DAY_MS + 1000 - Date.now();
      say(
        `segments: engine clock moved past UTC midnight +${day} (${new Date(Date.now() + offset).toISOString()}); no event is sent`,
      );
      await follow('time:');
    }
    const members = await redis.zrange(membersKey(TENANT, 'demo-browsers'), 0, 0);
    if (members[0] !== undefined) {
      const p = await readProfileSegments(redis, TENANT, members[0]);
      say(
        `segments: profile ${members[0]} (cdp profile get --json shows the same): segments ${JSON.stringify(p.segments.map((s) => s.id))}, computed ${JSON.stringify(p.computed)}`,
      );
    }
  } finally {
    await engine?.stop();
    await watcher.disconnect();
    await producer.disconnect();
    redis.disconnect();
    await deletePrivateGroups(kafka, [engineGroup, watchGroup]);
  }
}
