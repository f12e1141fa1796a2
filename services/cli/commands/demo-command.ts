// `cdp demo`: hosts collector, identity resolver, ClickHouse sink, activation, journey engine and
// privacy in this process, sends a seeded shop's events through them (HTTP and the producer library),
// waits for ClickHouse, prints what happened, and drains. Assumes the stack is up with topics applied
// and migrations run (make demo).
import { AvroCodec } from '../../common/codec/avro-codec';
import { createClickHouse, type ClickHouseClient } from '../../common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../../common/clickhouse/escape-sql';
import type { Config } from '../../common/config';
import { createEventProducer } from '../../common/events/event-producer';
import { createKafka } from '../../common/kafka/kafka-client';
import { createProducer } from '../../common/kafka/producer';
import { TOPICS } from '../../common/kafka/topics';
import { createLogger } from '../../common/logger';
import { createRedis } from '../../common/redis/redis-client';
import type { RunningService } from '../../common/runtime/service-definition';
import { loadTenants } from '../../common/tenants';
import { IdentityGraph } from '../../identity-resolver/identity-graph';
import { parseIdentityRules } from '../../identity-resolver/identity-rules';
import { privacyRequest } from './privacy-command';
import { SERVICE_LOADERS } from '../service-registry';
import { bindQuery, REVENUE_PER_PROFILE_TOP5, TOP_EVENTS_7D } from '../demo/analyst-queries';
import {
  prepareActivationDemo,
  reportActivationDemo,
  type PreparedActivationDemo,
} from '../demo/demo-activation';
import { formatDuration, formatProfileLine, formatTable, type Row } from '../demo/demo-report';
import { dayTag, demoShop, type Person, type ShopMessage } from '../demo/demo-shop';
import { runJourneyDemo } from '../demo/demo-journeys';
import { startDemoReceiver } from '../demo/demo-webhook-receiver';
import { runSegmentsDemo } from '../demo/segments-demo';

const TENANT = 'demo';
const WRITE_KEY = 'demo-write-key';
const SEED = 42;
const CUSTOMERS = 120;
const BATCH_SIZE = 100;
const WAIT_TIMEOUT_MS = 180_000;
const SHOWN_TOPICS = [
  TOPICS.eventsRaw,
  TOPICS.eventsResolved,
  TOPICS.profileChanges,
  TOPICS.profiles,
  TOPICS.identityMerges,
  TOPICS.ingestionWarnings,
  TOPICS.eventsDlq,
];

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

interface SendResult {
  accepted: number;
  rejected: number;
}

/** Posts messages to /v1/batch in batches; a 400 still writes the valid events, so it is counted. */
async function postBatches(
  url: string,
  messages: readonly ShopMessage[],
  label: string,
): Promise<SendResult> {
  const result: SendResult = { accepted: 0, rejected: 0 };
  const auth = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`;
  for (let i = 0; i < messages.length; i += BATCH_SIZE) {
    const batch = messages.slice(i, i + BATCH_SIZE);
    const res = await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth },
      body: JSON.stringify({ batch }),
    });
    const body = (await res.json()) as { accepted?: number; rejected?: unknown[] };
    if (res.status === 200) result.accepted += batch.length;
    else if (res.status === 400 && Array.isArray(body.rejected)) {
      result.accepted += body.accepted ?? 0;
      result.rejected += body.rejected.length;
    } else throw new Error(`collector answered ${res.status} to a demo batch: ${JSON.stringify(body)}`);
    const sent = Math.min(i + BATCH_SIZE, messages.length);
    if (sent % (BATCH_SIZE * 5) === 0 || sent === messages.length)
      say(`  ${label}: ${sent}/${messages.length} sent`);
  }
  return result;
}

async function queryRows(clickhouse: ClickHouseClient, query: string): Promise<Row[]> {
  const rs = await clickhouse.query({ query, format: 'JSONEachRow' });
  return rs.json<Row>();
}

async function countOf(clickhouse: ClickHouseClient, query: string): Promise<number> {
  const rows = await queryRows(clickhouse, query);
  return Number(rows[0]?.n ?? 0);
}

/** Polls until `expected` is reached; fails with a message saying what is missing. */
async function waitForCount(
  what: string,
  probe: () => Promise<number>,
  expected: number,
  timeoutMs = WAIT_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const n = await probe();
    if (n >= expected) return say(`  ${what}: ${n}/${expected} in ClickHouse`);
    if (n !== last) say(`  ${what}: ${n}/${expected} in ClickHouse, waiting`);
    last = n;
    if (Date.now() > deadline)
      throw new Error(
        `${what}: ClickHouse holds ${n} of ${expected} after ${timeoutMs / 1000} s; is the stack up with topics applied and migrations run (make demo)?`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function startPipeline(config: Config): Promise<RunningService[]> {
  const logger = createLogger('cdp-demo', 'warn');
  const running: RunningService[] = [];
  // Consumers first, so they are in their groups when the collector's first events arrive.
  for (const name of [
    'clickhouse-sink',
    'identity-resolver',
    'activation',
    'journey-engine',
    'privacy',
    'collector',
  ]) {
    const load = SERVICE_LOADERS[name];
    if (load === undefined) throw new Error(`unknown service ${name}`);
    const def = await load();
    try {
      running.push(await def.start(config, logger.child({ service: def.name })));
    } catch (err) {
      await stopPipeline(running);
      throw err;
    }
  }
  return running;
}

async function stopPipeline(running: RunningService[]): Promise<void> {
  // Reverse start order: the collector stops taking events before the consumers drain.
  for (const service of [...running].reverse()) await service.stop();
}

export async function demoCommand(config: Config): Promise<number> {
  const startedAt = Date.now();
  const day = new Date(new Date().toISOString().slice(0, 10));
  const plan = demoShop({ seed: SEED, day, customers: CUSTOMERS });
  const idPrefix = `demo-${dayTag(day)}-${SEED}-`;
  const db = sqlIdentifier(config.CDP_CLICKHOUSE_DATABASE);
  const clickhouse = createClickHouse(config);
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-demo');
  const tenant = loadTenants(config.CDP_TENANTS_FILE).byId(TENANT);
  if (tenant === undefined) throw new Error(`tenant '${TENANT}' is not in ${config.CDP_TENANTS_FILE}`);
  const rules = parseIdentityRules(tenant.identity, TENANT);
  const graph = new IdentityGraph(redis);
  const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-demo`);
  const producer = await createProducer(kafka);
  const events = createEventProducer({ codec: new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL), producer });
  const demoEvents = () =>
    countOf(
      clickhouse,
      `SELECT count() AS n FROM ${db}.events FINAL WHERE tenant = ${sqlString(TENANT)} AND message_id LIKE ${sqlString(`${idPrefix}%`)}`,
    );
  const deadLetters = () => countOf(clickhouse, `SELECT count() AS n FROM ${db}.dead_letters FINAL`);
  const shown = plan.twoDevicePeople.slice(0, 2);
  const devicesOf = async (p: Person) =>
    Promise.all(
      [p.laptop, p.phone ?? p.laptop].map((a) =>
        graph.getProfileByIdentifier(TENANT, `anonymous_id:${a}`, rules),
      ),
    );

  say(`cdp demo: tenant ${TENANT}, seed ${SEED}, ${CUSTOMERS} customers, ids ${idPrefix}*`);
  const services = await startPipeline(config);
  // One local webhook receiver for the activation and journey parts' destinations.
  const receiver = await startDemoReceiver();
  try {
    const url = `http://${config.CDP_COLLECTOR_HOST}:${config.CDP_COLLECTOR_PORT}`;
    say(`pipeline started in this process (collector on ${url})`);

    const stored = await demoEvents();
    if (stored > 0)
      say(
        `rerun: ClickHouse already holds ${stored} of today's demo events; the same ids are sent again and deduplicated`,
      );
    say(`phase 1: anonymous browsing and sign-ups (${plan.browsing.length} events over HTTP)`);
    const phase1 = await postBatches(url, plan.browsing, 'browsing');
    await waitForCount('phase 1 events', demoEvents, phase1.accepted);
    const before = await Promise.all(shown.map(devicesOf));

    say(`phase 2: logins on second devices, kiosk, checkouts (${plan.logins.length} events over HTTP)`);
    const phase2 = await postBatches(url, plan.logins, 'logins');
    say(`phase 2: ${plan.orders.length} orders through the producer library`);
    await events.publish(plan.orders.map((m) => ({ ...m, tenant: TENANT })));
    say(
      `invalid input: ${plan.invalid.length} track calls without an event name, ${plan.garbage.length} garbage records`,
    );
    const invalid = await postBatches(url, plan.invalid, 'invalid');
    const deadBefore = await deadLetters();
    await producer.send(
      plan.garbage.map((value, i) => ({ topic: TOPICS.eventsRaw, key: `${TENANT}:garbage:${i}`, value })),
    );
    const expected = phase1.accepted + phase2.accepted + invalid.accepted + plan.orders.length;
    await waitForCount('all demo events', demoEvents, expected);
    await waitForCount('dead letters', deadLetters, deadBefore + plan.garbage.length, 60_000);
    const after = await Promise.all(shown.map(devicesOf));

    say('');
    say(
      `collector: ${phase1.accepted + phase2.accepted + invalid.accepted} accepted, ${invalid.rejected} rejected (400, missing_event)`,
    );
    say('messages on topic (high-watermark sums, all tenants and runs):');
    const admin = kafka.admin();
    await admin.connect();
    for (const topic of SHOWN_TOPICS) {
      const offsets = await admin.fetchTopicOffsets(topic);
      say(`  ${topic.padEnd(28)} ${offsets.reduce((sum, o) => sum + Number(o.high), 0)}`);
    }
    await admin.disconnect();

    say('');
    shown.forEach((p, i) => {
      say(`${p.userId} (${p.email}): laptop ${p.laptop}, phone ${p.phone ?? '-'}`);
      say(formatProfileLine('before login, laptop', before[i]?.[0] ?? null));
      say(formatProfileLine('before login, phone ', before[i]?.[1] ?? null));
      say(formatProfileLine('after login, laptop ', after[i]?.[0] ?? null));
      say(formatProfileLine('after login, phone  ', after[i]?.[1] ?? null));
    });
    const kiosk = await graph.getProfileByIdentifier(TENANT, `anonymous_id:${plan.kiosk.anonymousId}`, rules);
    const kioskUsers = await Promise.all(
      plan.kiosk.userIds.map((u) => graph.getProfileByIdentifier(TENANT, `user_id:${u}`, rules)),
    );
    say(`shared kiosk ${plan.kiosk.anonymousId}, used by ${plan.kiosk.userIds.join(' and ')}:`);
    say(formatProfileLine('kiosk device       ', kiosk));
    kioskUsers.forEach((p, i) => say(formatProfileLine(`${plan.kiosk.userIds[i] ?? ''}`.padEnd(19), p)));

    say('');
    say('dead letters by reason (cdp.dead_letters, all runs):');
    say(
      formatTable(
        await queryRows(
          clickhouse,
          `SELECT error_class, service, count() AS records FROM ${db}.dead_letters FINAL GROUP BY error_class, service ORDER BY records DESC`,
        ),
      ),
    );
    const bound = { db: config.CDP_CLICKHOUSE_DATABASE, tenant: TENANT };
    say('');
    say('analyst query: top events, last 7 days (events_resolved)');
    say(formatTable(await queryRows(clickhouse, bindQuery(TOP_EVENTS_7D, bound))));
    say('');
    say('analyst query: revenue per profile, top 5 (events_resolved + profiles)');
    say(formatTable(await queryRows(clickhouse, bindQuery(REVENUE_PER_PROFILE_TOP5, bound))));
    say('');
    const activation = {
      tenant: TENANT,
      database: config.CDP_CLICKHOUSE_DATABASE,
      kafka,
      codec: new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL),
      producer,
      events,
      graph,
      clickhouse,
      people: [shown[0]!.userId, shown[1]!.userId] as [string, string],
      receiver,
      say,
    };
    let prepared: PreparedActivationDemo | undefined;
    await runSegmentsDemo(config, say, async () => {
      prepared = await prepareActivationDemo(activation);
    });
    say('');
    await reportActivationDemo(activation, prepared!);
    say('');
    await runJourneyDemo(config, { collectorUrl: url, receiver, say });
    // Privacy erases a customer made for this run: the shop's own customers stay, so the demo can
    // run again the same day (their re-sent events would be duplicates of erased ones).
    const stamp = new Date().toISOString().replace(/[-:.TZ]/g, '');
    const erased = { userId: `u-erase-${stamp}`, email: `erase-me-${stamp}@shop.example` };
    const at = new Date().toISOString();
    await postBatches(
      url,
      [
        {
          type: 'identify',
          messageId: `${erased.userId}-1`,
          timestamp: at,
          userId: erased.userId,
          anonymousId: `anon-${erased.userId}`,
          traits: { email: erased.email, plan: 'free' },
        },
        {
          type: 'track',
          messageId: `${erased.userId}-2`,
          timestamp: at,
          userId: erased.userId,
          event: 'Order Completed',
          properties: { total: 42 },
        },
      ],
      'privacy customer',
    );
    const erasedEvents = () =>
      countOf(
        clickhouse,
        `SELECT count() AS n FROM ${db}.events FINAL WHERE tenant = ${sqlString(TENANT)} AND user_id = ${sqlString(erased.userId)}`,
      );
    await waitForCount(`${erased.userId}'s events`, erasedEvents, 2);
    say('');
    say(
      `privacy: delete ${erased.userId} (${erased.email}) everywhere; the receipt lists every store checked`,
    );
    await privacyRequest(config, 'delete', `email:${erased.email}`, {
      tenant: TENANT,
      wait: true,
      timeoutMs: 180_000,
    });
    say(`  ${erased.userId}'s events in ClickHouse now: ${await erasedEvents()}`);
  } finally {
    say('');
    say('stopping: draining the pipeline');
    await stopPipeline(services);
    await receiver.close();
    await producer.disconnect();
    await redis.quit();
    await clickhouse.close();
  }
  say(`cdp demo: done in ${formatDuration(Date.now() - startedAt)}`);
  return 0;
}
