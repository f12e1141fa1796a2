// kill -9 of the activation service in the middle of deliveries, then a restart: every delivery
// arrives, each idempotency id is accepted once by the receiver (which, like a Standard Webhooks
// receiver, drops a repeat of an id it accepted), in order per profile. Repeats the receiver saw
// (a request answered 200 whose settle the kill cut off) are printed.
import { segmentMembership } from '../../../services/common/streams/segment-membership';
import { activation } from '../../../services/activation/main';
import { privateTopics } from '../../support/processor-harness';
import { startActivationStack, type ActivationStack } from '../../support/activation-stack';
import type { ActivationChildSettings } from '../../support/activation-child';
import { deleteTopics, testKafka, uniqueName, waitFor } from '../../support/real-stack';
import { startServiceChild, type ServiceChild } from '../../support/service-child';
import { startWebhookReceiver, type WebhookReceiver } from '../../../bench/stages/webhook-receiver';

jest.setTimeout(240_000);

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const kafka = testKafka();
let stack: ActivationStack;
let receiver: WebhookReceiver;
let child: ServiceChild | undefined;
let topicNames: string[] = [];

async function startChild(settings: ActivationChildSettings): Promise<ServiceChild> {
  const started = startServiceChild('activation-child.ts', settings, { readyLine: 'started' });
  await started.ready;
  return started;
}

beforeAll(async () => {
  stack = await startActivationStack(kafka, 'opt_out');
  receiver = await startWebhookReceiver({ after: 'ok', delayMs: 5 });
});

afterAll(async () => {
  await child?.kill();
  await receiver?.stop();
  await stack?.stop();
  await deleteTopics(kafka, topicNames);
});

it('loses nothing and accepts no id twice across a kill -9', async () => {
  await stack.define('segment', 'vip', { kind: 'segment', id: 'vip' });
  await stack.define('destination', 'crm-hook', {
    kind: 'destination',
    id: 'crm-hook',
    type: 'webhook',
    url: receiver.url,
    secret: SECRET,
    timeout_ms: 2000,
    subscribe: { segments: ['vip'] },
  });
  const topics = await privateTopics(kafka, activation);
  topicNames = [
    ...Object.values<string>(topics.inputs),
    ...Object.values<string>(topics.outputs),
    topics.dlq,
  ];
  const settings: ActivationChildSettings = {
    topics,
    groupId: uniqueName('test.activation.kill.group'),
    tenant: stack.tenant,
    consentMode: 'opt_out',
    definitionsTopic: stack.definitionsTopic,
    keyPrefix: stack.keyPrefix,
  };
  child = await startChild(settings);

  const records = [];
  for (let v = 1; v <= 10; v++)
    for (let p = 0; p < 40; p++)
      records.push(stack.membership(`p-${p}`, 'vip', v % 2 ? 'entered' : 'exited', v));
  await stack.publish(segmentMembership, topics.inputs.membership, records, segmentMembership.key);
  const expected = records.length * 2;

  await waitFor(
    'deliveries under way',
    async () => ((await receiver.log()).length >= expected / 4 ? true : undefined),
    60_000,
  );
  await child.kill();
  const atKill = (await receiver.log()).length;
  child = await startChild(settings);

  const accepted = await waitFor(
    'every delivery accepted',
    async () => {
      const got = await receiver.accepted();
      return got.length >= expected ? got : undefined;
    },
    180_000,
  );
  expect(new Set(accepted.map((r) => r.id)).size).toBe(expected);
  // Per profile, the first acceptance of each call comes in record order.
  const calls = accepted.map(
    (r) =>
      JSON.parse(r.body) as {
        type: string;
        context: { cdp: { profile_id: string; source: { id: string } } };
      },
  );
  for (let p = 0; p < 40; p++) {
    const seen = calls
      .filter((c) => c.context.cdp.profile_id === `p-${p}`)
      .map((c) => `${c.context.cdp.source.id}/${c.type}`);
    const wanted = records
      .filter((r) => r.profileId === `p-${p}`)
      .flatMap((r) => [`${r.changeId}/identify`, `${r.changeId}/track`]);
    expect(seen).toEqual(wanted);
  }
  const repeats = (await receiver.log()).filter((r) => r.duplicate).length;
  process.stdout.write(
    `kill -9 after ${atKill} requests: ${expected} accepted once each, ${repeats} repeats dropped by the receiver\n`,
  );
});
