// Two destinations of one tenant, one of them hanging: the healthy one delivers everything while
// the other still hangs with its queue full. Its latencies are printed, not asserted (bench/ does
// the comparison with a solo run).
import { deliveryDecisions } from '../../../services/common/streams/activation';
import { segmentMembership } from '../../../services/common/streams/segment-membership';
import { startActivationStack, type ActivationStack } from '../../support/activation-stack';
import { readTopic, testKafka, waitFor } from '../../support/real-stack';
import { startWebhookReceiver, type WebhookReceiver } from '../../../bench/stages/webhook-receiver';

jest.setTimeout(120_000);

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const kafka = testKafka();
let stack: ActivationStack;
let healthy: WebhookReceiver;
let stuck: WebhookReceiver;

function hook(id: string, url: string) {
  return {
    kind: 'destination',
    id,
    type: 'webhook',
    url,
    secret: SECRET,
    timeout_ms: 3000,
    subscribe: { segments: ['vip'] },
  };
}

beforeAll(async () => {
  stack = await startActivationStack(kafka, 'opt_out');
  healthy = await startWebhookReceiver({ after: 'ok' });
  stuck = await startWebhookReceiver({ after: 'hang' });
});

afterAll(async () => {
  await healthy?.stop();
  await stuck?.stop();
  await stack?.stop();
});

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

it('keeps delivering to the healthy destination while the other hangs', async () => {
  await stack.define('segment', 'vip', { kind: 'segment', id: 'vip' });
  await stack.define('destination', 'healthy', hook('healthy', healthy.url));
  await stack.define('destination', 'stuck', hook('stuck', stuck.url));
  const processor = await stack.start();
  const records = [];
  for (let v = 1; v <= 5; v++)
    for (let p = 0; p < 20; p++)
      records.push(stack.membership(`p-${p}`, 'vip', v % 2 ? 'entered' : 'exited', v));
  await stack.publish(segmentMembership, processor.topics.inputs.membership, records, segmentMembership.key);

  const expected = records.length * 2;
  await waitFor('the healthy destination got everything', async () =>
    (await healthy.accepted()).length >= expected ? true : undefined,
  );
  // The hanging one has answered nothing and still holds its deliveries.
  expect(await stuck.accepted()).toEqual([]);
  expect(await stack.queue.pending(stack.tenant, 'stuck')).toBeGreaterThan(0);
  expect(await stack.queue.pending(stack.tenant, 'healthy')).toBe(0);
  expect(new Set((await healthy.accepted()).map((r) => r.id)).size).toBe(expected);

  const rows = await readTopic(kafka, processor.topics.outputs.deliveries, expected, 15_000);
  const decisions = await Promise.all(rows.map((r) => stack.codec.decodeRecord(deliveryDecisions, r.value)));
  const latencies = decisions
    .filter((d) => d.destinationId === 'healthy' && d.status === 'delivered')
    .map((d) => d.latencyMs)
    .sort((a, b) => a - b);
  expect(latencies).toHaveLength(expected);
  process.stdout.write(
    `isolation: healthy destination ${latencies.length} deliveries while the other hangs: p50 ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms, max ${latencies.at(-1)} ms\n`,
  );
});
