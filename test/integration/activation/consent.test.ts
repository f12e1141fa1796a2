// Consent at the boundary: an opt-in tenant's profile receives deliveries while it granted the
// destination's category and none from the revocation on (each blocked record is a
// `blocked_consent` decision); an opt-out tenant's profile with no consent data is delivered.
import { deliveryDecisions, type DeliveryDecisionRecord } from '../../../services/common/streams/activation';
import { segmentMembership } from '../../../services/common/streams/segment-membership';
import { startActivationStack, type ActivationStack } from '../../support/activation-stack';
import { readTopic, testKafka, waitFor } from '../../support/real-stack';
import { startWebhookReceiver, type WebhookReceiver } from '../../../bench/stages/webhook-receiver';

jest.setTimeout(120_000);

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const kafka = testKafka();
const stacks: ActivationStack[] = [];
let receiver: WebhookReceiver;

function hook(url: string) {
  return {
    kind: 'destination',
    id: 'mail-hook',
    type: 'webhook',
    url,
    secret: SECRET,
    timeout_ms: 2000,
    batch_size: 1,
    max_age: '4h',
    headers: {},
    consent_categories: ['Marketing'],
    subscribe: { segments: ['vip'], computed_traits: [], profile_traits: [], events: [] },
    supports_deletion: false,
  };
}

async function decisions(stack: ActivationStack, count: number): Promise<DeliveryDecisionRecord[]> {
  const records = await readTopic(kafka, stack.processor!.topics.outputs.deliveries, count, 15_000);
  return Promise.all(records.map((r) => stack.codec.decodeRecord(deliveryDecisions, r.value)));
}

beforeAll(async () => {
  receiver = await startWebhookReceiver({ after: 'ok' });
});

afterAll(async () => {
  await receiver?.stop();
  for (const s of stacks) await s.stop();
});

const profileOf = (body: string) =>
  (JSON.parse(body) as { context: { cdp: { source: { id: string } } } }).context.cdp.source.id;

it('opt-in: delivers while Marketing is granted, stops exactly at the revocation', async () => {
  const stack = await startActivationStack(kafka, 'opt_in');
  stacks.push(stack);
  await stack.define('segment', 'vip', { kind: 'segment', id: 'vip' });
  await stack.define('destination', 'mail-hook', hook(receiver.url));
  const processor = await stack.start();
  const topic = processor.topics.inputs.membership;

  const silent = await stack.profile('never-asked'); // opt_in: no record = no delivery
  const ann = await stack.profile('ann', { Marketing: true, Analytics: false }, 10);
  const before = [1, 2, 3].map((v) => stack.membership(ann, 'vip', v % 2 ? 'entered' : 'exited', v));
  await stack.publish(
    segmentMembership,
    topic,
    [...before, stack.membership(silent, 'vip', 'entered', 1)],
    segmentMembership.key,
  );
  await waitFor('the granted records delivered', async () => {
    const got = (await receiver.accepted()).filter((r) => profileOf(r.body).includes(`:${ann}:`));
    return got.length >= 6 ? got : undefined;
  });

  // Revoked by a later event: the next records are blocked.
  await stack.profile('ann', { Marketing: false }, 20);
  const after = [4, 5, 6].map((v) => stack.membership(ann, 'vip', v % 2 ? 'entered' : 'exited', v));
  await stack.publish(segmentMembership, topic, after, segmentMembership.key);
  const rows = await waitFor('the blocked decisions', async () => {
    const got = await decisions(stack, 14);
    return got.filter((r) => r.status === 'blocked_consent').length >= 8 ? got : undefined;
  });

  const delivered = (await receiver.accepted())
    .map((r) => profileOf(r.body))
    .filter((id) => id.startsWith(stack.tenant));
  expect(new Set(delivered)).toEqual(new Set(before.map((r) => r.changeId)));
  expect(delivered).toHaveLength(6);
  const blocked = rows.filter((r) => r.status === 'blocked_consent');
  expect(new Set(blocked.map((r) => r.sourceId))).toEqual(
    new Set([...after.map((r) => r.changeId), `${stack.tenant}:vip:${silent}:1`]),
  );
  expect(
    blocked.filter((r) => r.profileId === ann).every((r) => r.reason === 'consent: Marketing revoked'),
  ).toBe(true);
  expect(
    blocked
      .filter((r) => r.profileId === silent)
      .every((r) => r.reason === 'consent: Marketing (no record, opt_in)'),
  ).toBe(true);
  expect(blocked.every((r) => r.attempt === 0)).toBe(true);

  // The profile shows what it holds, as `cdp profile get --json` prints it.
  const profile = await stack.graph.getProfile(stack.tenant, ann);
  const { consentOf } = await import('../../../services/identity-resolver/consent-operations');
  expect(consentOf(profile!.traitState)).toEqual({
    Marketing: { granted: false, at: new Date(Date.UTC(2025, 0, 1) + 20_000).toISOString() },
    Analytics: { granted: false, at: new Date(Date.UTC(2025, 0, 1) + 10_000).toISOString() },
  });
  expect(profile!.traits).toEqual({});
});

it('opt-out: a profile without consent data is delivered', async () => {
  const stack = await startActivationStack(kafka, 'opt_out');
  stacks.push(stack);
  await stack.define('segment', 'vip', { kind: 'segment', id: 'vip' });
  await stack.define('destination', 'mail-hook', hook(receiver.url));
  const processor = await stack.start();
  const bob = await stack.profile('bob');
  const record = stack.membership(bob, 'vip', 'entered', 1);
  await stack.publish(segmentMembership, processor.topics.inputs.membership, [record], segmentMembership.key);
  const got = await waitFor('delivered', async () => {
    const mine = (await receiver.accepted()).filter((r) => profileOf(r.body) === record.changeId);
    return mine.length >= 2 ? mine : undefined;
  });
  expect(got).toHaveLength(2);
});
