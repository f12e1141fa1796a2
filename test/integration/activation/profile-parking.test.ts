// One profile whose deliveries keep failing is parked: the destination's other profiles are all
// delivered meanwhile, nothing of the failing profile overtakes its failing head, and once the
// receiver accepts it again its deliveries arrive in order.
import { segmentMembership } from '../../../services/common/streams/segment-membership';
import { startActivationStack, type ActivationStack } from '../../support/activation-stack';
import { testKafka, waitFor } from '../../support/real-stack';
import { startWebhookReceiver, type WebhookReceiver } from '../../../bench/stages/webhook-receiver';

jest.setTimeout(120_000);

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const kafka = testKafka();
let stack: ActivationStack;
let receiver: WebhookReceiver;

beforeAll(async () => {
  stack = await startActivationStack(kafka, 'opt_out');
  receiver = await startWebhookReceiver({ after: 'ok', failWhenBodyContains: '"profile_id":"p-bad"' });
});

afterAll(async () => {
  await receiver?.stop();
  await stack?.stop();
});

const sourceOf = (body: string) =>
  JSON.parse(body) as { type: string; context: { cdp: { profile_id: string; source: { id: string } } } };

it('parks a failing profile while the others are delivered, and keeps its order', async () => {
  await stack.define('segment', 'vip', { kind: 'segment', id: 'vip' });
  await stack.define('destination', 'crm-hook', {
    kind: 'destination',
    id: 'crm-hook',
    type: 'webhook',
    url: receiver.url,
    secret: SECRET,
    subscribe: { segments: ['vip'] },
  });
  const processor = await stack.start({ concurrency: 2 });
  const profiles = ['p-bad', 'p-1', 'p-2', 'p-3', 'p-4', 'p-5'];
  const records = [];
  for (let v = 1; v <= 4; v++)
    for (const p of profiles) records.push(stack.membership(p, 'vip', v % 2 ? 'entered' : 'exited', v));
  await stack.publish(segmentMembership, processor.topics.inputs.membership, records, segmentMembership.key);

  const healthy = records.filter((r) => r.profileId !== 'p-bad').length * 2;
  await waitFor('the other profiles delivered', async () =>
    (await receiver.accepted()).length >= healthy ? true : undefined,
  );
  const failures = (await receiver.log()).filter((r) => r.answer === 500);
  expect(failures.length).toBeGreaterThan(1); // retried while the others went through
  expect(new Set(failures.map((r) => r.id)).size).toBe(1); // only its head was tried
  expect(
    (await receiver.accepted()).filter((r) => sourceOf(r.body).context.cdp.profile_id === 'p-bad'),
  ).toEqual([]);

  await receiver.failWhenBodyContains(null);
  const all = await waitFor('the parked profile delivered', async () => {
    const got = await receiver.accepted();
    return got.length >= records.length * 2 ? got : undefined;
  });
  const bad = all.map((r) => sourceOf(r.body)).filter((c) => c.context.cdp.profile_id === 'p-bad');
  expect(bad.map((c) => `${c.context.cdp.source.id}/${c.type}`)).toEqual(
    records
      .filter((r) => r.profileId === 'p-bad')
      .flatMap((r) => [`${r.changeId}/identify`, `${r.changeId}/track`]),
  );
});
