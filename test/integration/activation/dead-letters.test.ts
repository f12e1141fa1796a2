// A destination that refuses (410) gets nothing retried: the delivery is a dead letter at once,
// with the answer, in the dead-letter topic and as a `dead_lettered` decision. One that keeps
// failing past its max age is dead-lettered with its last answer. Replay delivers them again,
// with the same ids.
import { deliveryDecisions, destinationDeadLetters } from '../../../services/common/streams/activation';
import { segmentMembership } from '../../../services/common/streams/segment-membership';
import { replayDeadLetters } from '../../../services/activation/replay-dead-letters';
import { startActivationStack, type ActivationStack } from '../../support/activation-stack';
import { readTopic, testKafka, waitFor } from '../../support/real-stack';
import { startWebhookReceiver, type WebhookReceiver } from '../../../bench/stages/webhook-receiver';

jest.setTimeout(120_000);

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const kafka = testKafka();
let stack: ActivationStack;
let gone: WebhookReceiver;
let failing: WebhookReceiver;

beforeAll(async () => {
  stack = await startActivationStack(kafka, 'opt_out');
  gone = await startWebhookReceiver({ after: '410' });
  failing = await startWebhookReceiver({ after: '500' });
});

afterAll(async () => {
  await gone?.stop();
  await failing?.stop();
  await stack?.stop();
});

it('dead-letters a 4xx at once and a 5xx past max age, and replays them', async () => {
  await stack.define('segment', 'vip', { kind: 'segment', id: 'vip' });
  await stack.define('destination', 'gone', {
    kind: 'destination',
    id: 'gone',
    type: 'webhook',
    url: gone.url,
    secret: SECRET,
    subscribe: { segments: ['vip'] },
  });
  await stack.define('destination', 'failing', {
    kind: 'destination',
    id: 'failing',
    type: 'webhook',
    url: failing.url,
    secret: SECRET,
    max_age: '2s',
    subscribe: { segments: ['vip'] },
  });
  const processor = await stack.start();
  const record = stack.membership('p-1', 'vip', 'entered', 1);
  await stack.publish(segmentMembership, processor.topics.inputs.membership, [record], segmentMembership.key);

  const dead = await waitFor('four dead letters', async () => {
    const got = await readTopic(kafka, processor.topics.outputs.deadLetters, 4, 3000);
    return got.length >= 4 ? got : undefined;
  });
  const letters = await Promise.all(
    dead.map((d) => stack.codec.decodeRecord(destinationDeadLetters, d.value)),
  );
  const byDestination = (id: string) => letters.filter((l) => l.destinationId === id);
  expect(byDestination('gone').map((l) => [l.lastAnswer, l.attempts])).toEqual([
    ['HTTP 410: {"error":"gone"}', 1],
    ['HTTP 410: {"error":"gone"}', 1],
  ]);
  expect(byDestination('failing')).toHaveLength(2);
  // The head was retried until its max age; the one queued behind it was as old by its first try.
  expect(byDestination('failing').every((l) => l.lastAnswer.startsWith('HTTP 500'))).toBe(true);
  expect(byDestination('failing')[0]!.attempts).toBeGreaterThan(1);
  expect((await gone.log()).length).toBe(2); // never retried

  // Retried decisions of 'failing' come first; read until the four dead-lettered ones are there.
  const deadRows = await waitFor('four dead_lettered decisions', async () => {
    const rows = await readTopic(kafka, processor.topics.outputs.deliveries, 10_000, 2000);
    const decisions = await Promise.all(
      rows.map((r) => stack.codec.decodeRecord(deliveryDecisions, r.value)),
    );
    const dead = decisions.filter((d) => d.status === 'dead_lettered');
    return dead.length >= 4 ? dead : undefined;
  });
  expect(deadRows.filter((d) => d.destinationId === 'gone').map((d) => d.httpStatus)).toEqual([410, 410]);
  expect(
    deadRows
      .filter((d) => d.destinationId === 'failing')
      .every((d) => d.reason.startsWith('max age 2s passed')),
  ).toBe(true);

  // The receiver is fixed; replay sends the same ids again.
  await gone.setMode('ok');
  const { replayed } = await replayDeadLetters({
    kafka,
    codec: stack.codec,
    queue: stack.queue,
    tenant: stack.tenant,
    destinationId: 'gone',
    topic: processor.topics.outputs.deadLetters,
  });
  expect(replayed).toBe(2);
  const accepted = await waitFor('replayed deliveries', async () => {
    const got = await gone.accepted();
    return got.length >= 2 ? got : undefined;
  });
  expect(new Set(accepted.map((r) => r.id))).toEqual(
    new Set(byDestination('gone').map((l) => l.idempotencyId)),
  );
});
