// The demo's activation part, in two steps around the segments part's segment engine. Before the
// engine starts: a `demo-vip` segment (the `vip` trait is true), a webhook destination subscribed to
// it that needs Marketing consent (served by the demo's local receiver), and two demo people made VIP
// by identify calls, one granting Marketing, one granting then revoking it. The engine then emits
// their entries like any other; activation delivers one and blocks the other. After it: what the
// receiver verified, and the blocked delivery from the deliveries table.
import type { AvroCodec } from '../../common/codec/avro-codec';
import type { ClickHouseClient } from '../../common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../../common/clickhouse/escape-sql';
import {
  definitionMessage,
  readDefinitions,
  tombstoneMessage,
} from '../../common/definitions/definitions-topic';
import type { EventProducer } from '../../common/events/event-producer';
import type { Kafka } from '../../common/kafka/kafka-client';
import type { MessageProducer } from '../../common/kafka/producer';
import { consentOf } from '../../identity-resolver/consent-operations';
import type { IdentityGraph } from '../../identity-resolver/identity-graph';
import { DEMO_WEBHOOK_SECRET, type DemoReceiver } from './demo-webhook-receiver';

const SEGMENT = 'demo-vip';
const DESTINATION = 'demo-hook';

export interface ActivationDemoContext {
  tenant: string;
  database: string;
  kafka: Kafka;
  codec: AvroCodec;
  producer: MessageProducer;
  events: EventProducer;
  graph: IdentityGraph;
  clickhouse: ClickHouseClient;
  /** Two demo people by user id: the first grants Marketing, the second revokes it. */
  people: [string, string];
  /** The demo's webhook receiver (started and closed by the demo command). */
  receiver: DemoReceiver;
  say(line: string): void;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export const VIP_SEGMENT = {
  kind: 'segment',
  id: SEGMENT,
  name: 'VIP customers',
  condition: { trait: 'vip', op: 'eq', value: true },
} as const;

export interface PreparedActivationDemo {
  /** Unique to the run: its deliveries' ids are new, so a rerun delivers again. */
  destinationId: string;
  granted: { userId: string; profileId: string };
  revoked: { userId: string; profileId: string };
}

/** Before the segment engine runs: segment, destination, and the two VIPs with their consent. */
export async function prepareActivationDemo(ctx: ActivationDemoContext): Promise<PreparedActivationDemo> {
  const { tenant, say, receiver } = ctx;
  const destinationId = `${DESTINATION}-${Date.now()}`;
  const destination = {
    kind: 'destination',
    id: destinationId,
    type: 'webhook',
    url: receiver.url,
    secret: DEMO_WEBHOOK_SECRET,
    consent_categories: ['Marketing'],
    subscribe: { segments: [SEGMENT] },
  };
  // As `cdp segments apply` and `cdp destinations apply` store them.
  const stored = await readDefinitions(ctx.kafka, ctx.codec, { tenant });
  const segmentVersion = (stored.find((d) => d.kind === 'segment' && d.id === SEGMENT)?.version ?? 0) + 1;
  const now = Date.now();
  await ctx.producer.send([
    await definitionMessage(ctx.codec, {
      tenant,
      kind: 'segment',
      id: SEGMENT,
      version: segmentVersion,
      updatedAt: now,
      body: JSON.stringify(VIP_SEGMENT),
    }),
    await definitionMessage(ctx.codec, {
      tenant,
      kind: 'destination',
      id: destinationId,
      version: 1,
      updatedAt: now,
      body: JSON.stringify(destination),
    }),
  ]);
  say(
    `activation: segment ${SEGMENT} (trait vip = true), webhook destination ${destinationId} needing Marketing consent`,
  );

  // VIP and consent, sent as events like any SDK would: the first grants Marketing, the second revokes it.
  const [granted, revoked] = ctx.people;
  const identify = (userId: string, marketing: boolean, at: number) => ({
    tenant,
    type: 'identify' as const,
    messageId: `demo-vip-${userId}-${at}`,
    userId,
    timestamp: new Date(at).toISOString(),
    traits: { vip: true },
    context: { consent: { categoryPreferences: { Marketing: marketing } } },
  });
  await ctx.events.publish([
    identify(granted, true, now - 2000),
    identify(revoked, true, now - 2000),
    identify(revoked, false, now - 1000),
  ]);
  const [a, b] = await until('consent on the profiles', async () => {
    const pa = await ctx.graph.getProfileByIdentifier(tenant, `user_id:${granted}`);
    const pb = await ctx.graph.getProfileByIdentifier(tenant, `user_id:${revoked}`);
    if (pa === null || pb === null) return undefined;
    const ca = consentOf(pa.traitState).Marketing;
    const cb = consentOf(pb.traitState).Marketing;
    return ca?.granted === true && cb?.granted === false && Date.parse(cb.at) >= now - 1000
      ? [pa, pb]
      : undefined;
  });
  say(`consent: ${granted} Marketing granted; ${revoked} Marketing revoked; both VIP`);
  // The running activation follows definitions within a moment; give it that before the entries.
  await new Promise((r) => setTimeout(r, 1500));
  return {
    destinationId,
    granted: { userId: granted, profileId: a.profileId },
    revoked: { userId: revoked, profileId: b.profileId },
  };
}

/** After the segment engine emitted the entries: what arrived, and what consent blocked. */
export async function reportActivationDemo(
  ctx: ActivationDemoContext,
  prepared: PreparedActivationDemo,
): Promise<void> {
  const { tenant, say, receiver } = ctx;
  const { destinationId, revoked } = prepared;
  try {
    await until('the webhook deliveries', async () =>
      receiver.of(destinationId).length >= 2 ? true : undefined,
    );
    const db = sqlIdentifier(ctx.database);
    const blocked = await until('the blocked delivery in ClickHouse', async () => {
      const rs = await ctx.clickhouse.query({
        query: `SELECT profile_id, source_id, reason FROM ${db}.deliveries FINAL WHERE tenant = ${sqlString(tenant)} AND destination_id = ${sqlString(destinationId)} AND status = 'blocked_consent' AND profile_id = ${sqlString(revoked.profileId)}`,
        format: 'JSONEachRow',
      });
      const rows = await rs.json<{ profile_id: string; source_id: string; reason: string }>();
      return rows.length > 0 ? rows : undefined;
    });
    const arrivals = receiver.of(destinationId);
    say(
      `activation: the segment engine's ${SEGMENT} entries; webhook ${receiver.url} received ${arrivals.length} signed calls:`,
    );
    for (const a of arrivals) {
      const what =
        a.call.type === 'track'
          ? `track ${a.call.event} ${JSON.stringify(a.call.properties)}`
          : `identify ${JSON.stringify(a.call.traits)}`;
      say(`  ${a.id}  signature ${a.verified ? 'verified' : 'INVALID'}  userId ${a.call.userId}  ${what}`);
    }
    say(
      `blocked by consent (deliveries table): ${revoked.userId} entered ${SEGMENT}: ${blocked[0]!.reason} (${blocked.length} call${blocked.length === 1 ? '' : 's'})`,
    );
  } finally {
    // The run's destination goes away with the run.
    await ctx.producer.send([tombstoneMessage({ tenant, kind: 'destination', id: destinationId })]);
  }
}
