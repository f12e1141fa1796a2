// The demo's activation part: the demo's local webhook receiver (demo-webhook-receiver.ts), a
// destination subscribed to the demo's `demo-vip` segment that needs Marketing consent, two people
// of the demo (one granted Marketing, one who granted then revoked it), and their segment entries.
// It prints what arrived and the delivery consent blocked. The entries are published here as the
// segment engine would publish them (this part needs no segment engine to run).
import type { AvroCodec } from '../../common/codec/avro-codec';
import type { ClickHouseClient } from '../../common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../../common/clickhouse/escape-sql';
import { definitionMessage, readDefinitions } from '../../common/definitions/definitions-topic';
import type { EventProducer } from '../../common/events/event-producer';
import type { Kafka } from '../../common/kafka/kafka-client';
import type { MessageProducer } from '../../common/kafka/producer';
import { segmentMembership, type SegmentMembershipRecord } from '../../common/streams/segment-membership';
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

export async function activationDemo(ctx: ActivationDemoContext): Promise<void> {
  const { tenant, say, receiver } = ctx;
  // Definitions, as `cdp segments|destinations apply` would store them.
  const stored = await readDefinitions(ctx.kafka, ctx.codec, { tenant });
  const versionOf = (kind: string, id: string) =>
    (stored.find((d) => d.kind === kind && d.id === id)?.version ?? 0) + 1;
  const destination = {
    kind: 'destination',
    id: DESTINATION,
    type: 'webhook',
    url: receiver.url,
    secret: DEMO_WEBHOOK_SECRET,
    consent_categories: ['Marketing'],
    subscribe: { segments: [SEGMENT] },
  };
  const messages = [];
  if (!stored.some((d) => d.kind === 'segment' && d.id === SEGMENT))
    messages.push(
      await definitionMessage(ctx.codec, {
        tenant,
        kind: 'segment',
        id: SEGMENT,
        version: 1,
        updatedAt: Date.now(),
        body: JSON.stringify({
          kind: 'segment',
          id: SEGMENT,
          description: 'demo: customers with an order',
        }),
      }),
    );
  messages.push(
    await definitionMessage(ctx.codec, {
      tenant,
      kind: 'destination',
      id: DESTINATION,
      version: versionOf('destination', DESTINATION),
      updatedAt: Date.now(),
      body: JSON.stringify(destination),
    }),
  );
  await ctx.producer.send(messages);

  // Consent, sent as events like any SDK would: the first grants Marketing, the second revokes it later.
  const [granted, revoked] = ctx.people;
  const now = Date.now();
  const consentEvent = (userId: string, marketing: boolean, at: number) => ({
    tenant,
    type: 'identify' as const,
    messageId: `demo-consent-${userId}-${at}`,
    userId,
    timestamp: new Date(at).toISOString(),
    context: { consent: { categoryPreferences: { Marketing: marketing } } },
  });
  await ctx.events.publish([
    consentEvent(granted, true, now - 2000),
    consentEvent(revoked, true, now - 2000),
    consentEvent(revoked, false, now - 1000),
  ]);
  const profiles = await until('consent on the profiles', async () => {
    const a = await ctx.graph.getProfileByIdentifier(tenant, `user_id:${granted}`);
    const b = await ctx.graph.getProfileByIdentifier(tenant, `user_id:${revoked}`);
    if (a === null || b === null) return undefined;
    const ca = consentOf(a.traitState).Marketing;
    const cb = consentOf(b.traitState).Marketing;
    return ca?.granted === true && cb?.granted === false && Date.parse(cb.at) >= now - 1000
      ? [a, b]
      : undefined;
  });
  say(`consent: ${granted} Marketing granted; ${revoked} Marketing revoked`);

  // The segment entries, as the segment engine publishes them (versions unique to this run).
  const version = Date.now();
  const entries: SegmentMembershipRecord[] = profiles.map((p) => ({
    changeId: `${tenant}:${SEGMENT}:${p.profileId}:${version}`,
    tenant,
    segmentId: SEGMENT,
    profileId: p.profileId,
    status: 'entered',
    version,
    segmentVersion: 1,
    changedAt: version,
  }));
  // The running activation follows definitions within a moment; give it that before the entries.
  await new Promise((r) => setTimeout(r, 1500));
  await ctx.producer.send(
    await Promise.all(
      entries.map(async (e) => ({
        topic: segmentMembership.topic,
        key: segmentMembership.key(e),
        value: await ctx.codec.encodeRecord(segmentMembership, e),
      })),
    ),
  );
  await until('the webhook deliveries', async () =>
    receiver.of(DESTINATION).length >= 2 ? true : undefined,
  );
  const db = sqlIdentifier(ctx.database);
  const blocked = await until('the blocked delivery in ClickHouse', async () => {
    const rs = await ctx.clickhouse.query({
      query: `SELECT profile_id, source_id, reason FROM ${db}.deliveries FINAL WHERE tenant = ${sqlString(tenant)} AND destination_id = ${sqlString(DESTINATION)} AND status = 'blocked_consent' AND source_id = ${sqlString(entries[1]!.changeId)}`,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ profile_id: string; source_id: string; reason: string }>();
    return rows.length > 0 ? rows : undefined;
  });

  const arrivals = receiver.of(DESTINATION);
  say(`webhook ${receiver.url} received ${arrivals.length} signed calls:`);
  for (const a of arrivals) {
    const what =
      a.call.type === 'track'
        ? `track ${a.call.event} ${JSON.stringify(a.call.properties)}`
        : `identify ${JSON.stringify(a.call.traits)}`;
    say(`  ${a.id}  signature ${a.verified ? 'verified' : 'INVALID'}  userId ${a.call.userId}  ${what}`);
  }
  say(
    `blocked by consent (deliveries table): ${revoked} entered ${SEGMENT}: ${blocked[0]!.reason} (${blocked.length} call${blocked.length === 1 ? '' : 's'})`,
  );
}
