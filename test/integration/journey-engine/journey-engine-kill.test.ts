// kill -9 of the journey engine while instances wait on timers: the timers that fell due while it was
// down fire at once after the restart, each exactly once, and no action id reaches the topic twice.
// The actions go on through activation (which stays up) to a webhook receiver process that counts
// idempotency ids: each is accepted once and none arrives twice.
import { startJourneyDelivery, type JourneyDelivery } from '../../support/journey-delivery';
import type { JourneyEngineChildSettings } from '../../support/journey-engine-child';
import { JourneyStack } from '../../support/journey-stack';
import { testKafka, waitFor } from '../../support/real-stack';
import { startServiceChild, type ServiceChild } from '../../support/service-child';

jest.setTimeout(240_000);

const stack = new JourneyStack(testKafka());
const USERS = 20;
let child: ServiceChild | undefined;
let delivery: JourneyDelivery | undefined;

function startChild(): ServiceChild {
  const settings: JourneyEngineChildSettings = {
    ...stack.engineStart(),
    tenant: stack.tenant,
    definitionsTopic: stack.topics.definitions,
    sessionTimeoutMs: 6000,
  };
  child = startServiceChild('journey-engine-child.ts', settings);
  return child;
}

beforeAll(async () => {
  await stack.start(false);
  delivery = await startJourneyDelivery(stack, 'mailer');
});

afterAll(async () => {
  await child?.kill();
  await delivery?.stop();
  await stack.stop();
});

it('fires every timer exactly once across a kill -9 and a restart', async () => {
  const applied = await stack.apply([
    {
      kind: 'journey',
      id: 'onboarding',
      trigger: { event: 'Signed Up' },
      steps: [
        { id: 'welcome', send: { destination: 'mailer', message: 'welcome' } },
        { id: 'pause', wait: { seconds: 5 } },
        { id: 'reminder', send: { destination: 'mailer', message: 'reminder' } },
        { id: 'pause-2', wait: { seconds: 2 } },
        { id: 'last', send: { destination: 'mailer', message: 'last-call' } },
      ],
    },
  ]);
  expect(applied.code).toBe(0);

  const first = startChild();
  await first.ready;
  const users = Array.from({ length: USERS }, (_, i) => `kill-user-${i}`);
  await stack.send(
    users.map((u) => ({ type: 'track', userId: u, event: 'Signed Up', messageId: `${u}-signup` })),
  );
  await waitFor(
    'every welcome',
    async () => (stack.actions.records.length >= USERS ? true : undefined),
    60_000,
  );
  // Every instance now waits on its 5 s timer: kill the engine and stay down past the due time.
  await first.kill();
  expect(stack.actions.records.filter((r) => r.message === 'reminder')).toEqual([]);
  await new Promise((r) => setTimeout(r, 7000));

  const second = startChild();
  await second.ready;
  await waitFor(
    'every last call',
    async () => (stack.actions.records.length >= 3 * USERS ? true : undefined),
    90_000,
  );
  // A little longer: a timer firing twice would add records now.
  await new Promise((r) => setTimeout(r, 3000));

  const ids = stack.actions.records.map((r) => r.actionId);
  expect(ids.length).toBe(3 * USERS);
  expect(new Set(ids).size).toBe(3 * USERS);
  const profiles = new Set(stack.actions.records.map((r) => r.profileId));
  expect(profiles.size).toBe(USERS);
  for (const p of profiles) {
    expect(stack.actions.of(p).map((r) => r.message)).toEqual(['welcome', 'reminder', 'last-call']);
  }

  // At the receiver: every action accepted once by its idempotency id (the action id), in order per
  // user, and no id delivered a second time.
  await waitFor(
    'every delivery at the webhook',
    async () => ((await delivery!.accepted()).length >= 3 * USERS ? true : undefined),
    90_000,
  );
  const accepted = await delivery!.accepted();
  expect(accepted.map((a) => a.request.id).sort()).toEqual([...ids].sort());
  const log = await delivery!.receiver.log();
  expect(log.filter((r) => r.duplicate)).toEqual([]);
  expect(log.length).toBe(3 * USERS);
  expect(await delivery!.verifyAll()).toBe(3 * USERS);
  const byUser = await delivery!.messagesByUser();
  expect(Object.keys(byUser).sort()).toEqual([...users].sort());
  for (const u of users) expect(byUser[u]).toEqual(['welcome', 'reminder', 'last-call']);
});
