// Delivery through a receiver that misbehaves: a real HTTP receiver process answers 500s, hangs
// past the timeout and closes connections before it recovers. Every subscribed record arrives,
// each idempotency id is accepted once, in order per profile, and every signature verifies with
// the Standard Webhooks library.
import { Webhook } from 'standardwebhooks';
import { deliveryDecisions } from '../../../services/common/streams/activation';
import { segmentMembership } from '../../../services/common/streams/segment-membership';
import { startActivationStack, type ActivationStack } from '../../support/activation-stack';
import { readTopic, testKafka, waitFor } from '../../support/real-stack';
import { startWebhookReceiver, type WebhookReceiver } from '../../../bench/stages/webhook-receiver';

jest.setTimeout(180_000);

interface DeliveredCall {
  type: string;
  event?: string;
  userId: string | null;
  traits?: Record<string, unknown>;
  properties?: Record<string, unknown>;
  context: { cdp: { profile_id: string; identifiers: string[]; source: { id: string } } };
}

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const kafka = testKafka();
let stack: ActivationStack;
let receiver: WebhookReceiver;

beforeAll(async () => {
  stack = await startActivationStack(kafka, 'opt_out');
  receiver = await startWebhookReceiver({
    first: ['500', '500', '500', '500', 'hang', 'hang', 'close', 'close', '500', 'close', 'hang', '500'],
    after: 'ok',
  });
});

afterAll(async () => {
  await receiver?.stop();
  await stack?.stop();
});

it('delivers every record once per idempotency id, in order per profile, signed', async () => {
  await stack.define('segment', 'vip', { kind: 'segment', id: 'vip' });
  await stack.define('destination', 'crm-hook', {
    kind: 'destination',
    id: 'crm-hook',
    type: 'webhook',
    url: receiver.url,
    secret: SECRET,
    timeout_ms: 400,
    batch_size: 1,
    max_age: '4h',
    headers: { 'x-team': 'crm' },
    consent_categories: [],
    subscribe: { segments: ['vip'], computed_traits: [], profile_traits: [], events: [] },
    supports_deletion: false,
  });
  const processor = await stack.start({ concurrency: 4 });

  const profiles: { id: string; user: string }[] = [];
  for (let i = 0; i < 5; i++) profiles.push({ id: await stack.profile(`u-${i}`), user: `u-${i}` });
  const records = [];
  for (let v = 1; v <= 6; v++)
    for (const p of profiles)
      records.push(stack.membership(p.id, 'vip', v % 2 === 1 ? 'entered' : 'exited', v));
  await stack.publish(segmentMembership, processor.topics.inputs.membership, records, segmentMembership.key);

  const expected = records.length * 2; // identify + track per change
  const accepted = await waitFor(
    'every delivery accepted',
    async () => {
      const got = await receiver.accepted();
      return got.length >= expected ? got : undefined;
    },
    150_000,
  );

  const log = await receiver.log();
  const duplicates = log.filter((r) => r.duplicate);
  const ids = accepted.map((r) => r.id);
  expect(new Set(ids).size).toBe(expected);
  expect(duplicates).toEqual([]);

  const webhook = new Webhook(SECRET);
  for (const r of accepted) {
    expect(() =>
      webhook.verify(r.body, {
        'webhook-id': r.id,
        'webhook-timestamp': r.timestamp,
        'webhook-signature': r.signature,
      }),
    ).not.toThrow();
  }

  // Per profile: the changes in version order, identify before track of each change.
  const calls = accepted.map((r) => JSON.parse(r.body) as DeliveredCall);
  for (const p of profiles) {
    const mine = calls.filter((c) => c.context.cdp.profile_id === p.id);
    const seen = mine.map((c) => `${c.context.cdp.source.id}/${c.type}`);
    const wanted = records
      .filter((r) => r.profileId === p.id)
      .flatMap((r) => [`${r.changeId}/identify`, `${r.changeId}/track`]);
    expect(seen).toEqual(wanted);
    for (const c of mine) {
      expect(c.userId).toBe(p.user);
      expect(c.context.cdp.identifiers).toContain(`user_id:${p.user}`);
    }
    const tracks = mine.filter((c) => c.type === 'track');
    expect(tracks.map((c) => c.event)).toEqual([
      'Audience Entered',
      'Audience Exited',
      'Audience Entered',
      'Audience Exited',
      'Audience Entered',
      'Audience Exited',
    ]);
    expect(tracks[0]!.properties!.audience_key).toBe('vip');
    const identifies = mine.filter((c) => c.type === 'identify');
    expect(identifies.map((c) => c.traits!.vip)).toEqual([true, false, true, false, true, false]);
  }

  // The misbehaviour was seen and recorded: retried decisions, then one delivered per id.
  const decisions = await readTopic(kafka, processor.topics.outputs.deliveries, expected + 12, 20_000);
  const rows = await Promise.all(decisions.map((d) => stack.codec.decodeRecord(deliveryDecisions, d.value)));
  const delivered = rows.filter((r) => r.status === 'delivered');
  const retried = rows.filter((r) => r.status === 'retried');
  expect(new Set(delivered.map((r) => r.idempotencyId)).size).toBe(expected);
  expect(retried.length).toBeGreaterThanOrEqual(12);
  expect(retried.map((r) => r.reason).join('\n')).toMatch(/HTTP 500/);
  expect(retried.map((r) => r.reason).join('\n')).toMatch(/timeout after 400 ms/);
  expect(retried.map((r) => r.reason).join('\n')).toMatch(/connection error/);
  process.stdout.write(
    `webhook delivery: ${expected} accepted once, ${retried.length} retried decisions, ${log.length} requests answered\n`,
  );
});
