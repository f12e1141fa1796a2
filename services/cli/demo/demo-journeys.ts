// The demo's journey part: the seed-004 journey with a 5-second wait on three demo customers, run by
// a journey engine hosted in the demo's process; prints who got which message. Delivery of the
// actions (a webhook) is the activation service's part; this prints what the engine sent it.
import crypto from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AvroCodec } from '../../common/codec/avro-codec';
import type { Config } from '../../common/config';
import { definitionMessage, publish, readDefinitions } from '../../common/definitions/definitions-topic';
import { createKafka } from '../../common/kafka/kafka-client';
import { createProducer } from '../../common/kafka/producer';
import { createLogger } from '../../common/logger';
import { journeyActions, type JourneyActionRecord } from '../../common/streams/journey-actions';
import { journeyEngine } from '../../journey-engine/main';
import { applyDefinitions } from '../commands/definitions-command';

const TENANT = 'demo';
const JOURNEY = 'demo-pricing-help';
const DESTINATION = 'demo-mailer';
const WAIT_SECONDS = 5;

export const demoJourney = {
  kind: 'journey',
  id: JOURNEY,
  name: 'Help visitors stuck on pricing (demo: a 5 s wait)',
  trigger: {
    type: 'page',
    where: [{ property: 'path', op: 'eq', value: '/pricing' }],
    occurrence: 3,
    within_days: 7,
  },
  exit_when: [{ event: 'Order Completed', reason: 'converted' }],
  reentry: 'never',
  steps: [
    { id: 'first-mail', send: { destination: DESTINATION, message: 'pricing-help' } },
    {
      id: 'wait-order',
      wait_for: { event: 'Order Completed', timeout_seconds: WAIT_SECONDS },
      on_event: 'done',
      on_timeout: 'second-mail',
    },
    { id: 'second-mail', send: { destination: DESTINATION, message: 'discount-offer' } },
    { id: 'done', exit: 'completed' },
  ],
};

/** Who does what: two keep visiting /pricing (one then orders), one visits twice. */
export function demoJourneyCalls(run: string): { users: string[]; first: object[]; order: object[] } {
  const users = ['ann', 'bob', 'cid'].map((n) => `jrn-${run}-${n}`);
  const [ann, bob, cid] = users as [string, string, string];
  const page = (userId: string, n: number) => ({
    type: 'page',
    userId,
    messageId: `${userId}-pricing-${n}`,
    name: 'Pricing',
    properties: { path: '/pricing' },
  });
  const identify = (userId: string) => ({
    type: 'identify',
    userId,
    messageId: `${userId}-identify`,
    traits: { email: `${userId}@example.com` },
  });
  return {
    users,
    first: [
      ...users.map(identify),
      ...[1, 2, 3].flatMap((n) => [page(ann, n), page(bob, n)]),
      page(cid, 1),
      page(cid, 2),
    ],
    order: [{ type: 'track', userId: ann, messageId: `${ann}-order`, event: 'Order Completed' }],
  };
}

async function post(url: string, batch: object[]): Promise<void> {
  const res = await fetch(`${url}/v1/batch`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from('demo-write-key:').toString('base64')}`,
    },
    body: JSON.stringify({ batch }),
  });
  if (res.status !== 200) throw new Error(`collector answered ${res.status} to the journey demo`);
}

/**
 * The journey's destination must exist. Until the demo defines its destinations (activation), a
 * minimal one is stored when there is none.
 */
async function ensureDestination(config: Config): Promise<void> {
  const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-demo-journeys`, { quiet: true });
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const stored = await readDefinitions(kafka, codec, { tenant: TENANT });
  if (stored.some((d) => d.kind === 'destination' && d.id === DESTINATION)) return;
  const producer = await createProducer(kafka);
  try {
    await publish(producer, [
      await definitionMessage(codec, {
        tenant: TENANT,
        kind: 'destination',
        id: DESTINATION,
        version: 1,
        body: JSON.stringify({ kind: 'destination', id: DESTINATION }),
        updatedAt: Date.now(),
      }),
    ]);
  } finally {
    await producer.disconnect();
  }
}

export async function runJourneyDemo(
  config: Config,
  options: { collectorUrl: string; say(line: string): void },
): Promise<void> {
  const { say } = options;
  const run = crypto.randomBytes(3).toString('hex');
  say(`journeys: the seed-004 journey '${JOURNEY}' with a ${WAIT_SECONDS} s wait`);
  await ensureDestination(config);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cdp-demo-journey-'));
  const file = path.join(dir, `${JOURNEY}.json`);
  writeFileSync(file, JSON.stringify(demoJourney));
  const applied = await applyDefinitions(
    config,
    { command: 'journeys', kinds: ['journey'] },
    [file],
    { tenant: TENANT },
    undefined,
    { out: (l) => say(`  ${l}`), err: (l) => say(`  ${l}`) },
  );
  if (applied !== 0) throw new Error('the demo journey was refused');

  const engine = await journeyEngine.start(
    config,
    createLogger('cdp-demo', 'warn').child({ service: 'journey-engine' }),
  );
  const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-demo-journeys`, { quiet: true });
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const consumer = kafka.consumer({ groupId: `cdp-demo-journeys-${run}` });
  const calls = demoJourneyCalls(run);
  const received: JourneyActionRecord[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: journeyActions.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const r = await codec.decodeRecord(journeyActions, message.value);
        const userId = (JSON.parse(r.payload) as { userId?: string }).userId ?? '';
        if (r.tenant === TENANT && calls.users.includes(userId)) received.push(r);
      },
    });
    await post(options.collectorUrl, calls.first);
    const userOf = (r: JourneyActionRecord) => (JSON.parse(r.payload) as { userId: string }).userId;
    const sentTo = (u: string) => received.filter((r) => userOf(r) === u).map((r) => r.message);
    const [ann, bob, cid] = calls.users as [string, string, string];
    const deadline = Date.now() + 60_000;
    while (sentTo(ann).length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    await post(options.collectorUrl, calls.order);
    while (sentTo(bob).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    // ann's wait ends too: had her order not exited her, her discount would come now.
    await new Promise((r) => setTimeout(r, (WAIT_SECONDS + 2) * 1000));
    const line = (u: string, story: string) =>
      say(`  ${u.padEnd(18)} ${(sentTo(u).join(', ') || '(nothing)').padEnd(30)} ${story}`);
    line(ann, '3 visits of /pricing, then ordered during the wait: exited as converted');
    line(bob, `3 visits of /pricing, no order: the discount after ${WAIT_SECONDS} s`);
    line(cid, '2 visits only: never entered');
    say(
      `  actions on ${journeyActions.topic} are delivered by the activation service (idempotency id: actionId)`,
    );
  } finally {
    await consumer.disconnect();
    await engine.stop();
  }
}
