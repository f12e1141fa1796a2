// A segment destination: calls go to <url>/v1/batch of a Segment-compatible API as
// {"batch": [...], "sentAt"} with the write key as HTTP Basic user.
import { segmentMembership } from '../../../services/common/streams/segment-membership';
import { startActivationStack, type ActivationStack } from '../../support/activation-stack';
import { testKafka, waitFor } from '../../support/real-stack';
import { startWebhookReceiver, type WebhookReceiver } from '../../../bench/stages/webhook-receiver';

jest.setTimeout(120_000);

const kafka = testKafka();
let stack: ActivationStack;
let receiver: WebhookReceiver;

beforeAll(async () => {
  stack = await startActivationStack(kafka, 'opt_out');
  receiver = await startWebhookReceiver({ after: 'ok' });
});

afterAll(async () => {
  await receiver?.stop();
  await stack?.stop();
});

it('posts Segment batches with the write key', async () => {
  await stack.define('segment', 'vip', { kind: 'segment', id: 'vip' });
  const base = receiver.url.replace(/\/hook$/, '');
  await stack.define('destination', 'rudder', {
    kind: 'destination',
    id: 'rudder',
    type: 'segment',
    url: `${base}/`,
    write_key: 'wk-123',
    subscribe: { segments: ['vip'] },
  });
  const processor = await stack.start();
  const record = stack.membership('p-1', 'vip', 'entered', 1);
  await stack.publish(segmentMembership, processor.topics.inputs.membership, [record], segmentMembership.key);
  const got = await waitFor('two batches', async () => {
    const log = await receiver.log();
    return log.length >= 2 ? log : undefined;
  });
  for (const r of got) {
    expect(r.path).toBe('/v1/batch');
    expect(r.authorization).toBe(`Basic ${Buffer.from('wk-123:').toString('base64')}`);
    const body = JSON.parse(r.body) as { batch: { type: string }[]; sentAt: string };
    expect(body.batch).toHaveLength(1);
    expect(Number.isFinite(Date.parse(body.sentAt))).toBe(true);
  }
  expect(got.map((r) => (JSON.parse(r.body) as { batch: { type: string }[] }).batch[0]!.type)).toEqual([
    'identify',
    'track',
  ]);
});
