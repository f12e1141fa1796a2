// The journey rules on the real stack (collector -> resolver -> engine): re-entry, exit_when during
// a wait, a merge of two profiles each with a running instance, a deleted journey, and an edit while
// an instance runs (it finishes on its version).
import { createRedis } from '../../../services/common/redis/redis-client';
import { parseTimerMember, timersKey } from '../../../services/journey-engine/journey-keys';
import { decodeSlot } from '../../../services/journey-engine/journey-state';
import { JourneyStateStore } from '../../../services/journey-engine/journey-state-store';
import { JourneyStack } from '../../support/journey-stack';
import { config, testKafka, waitFor } from '../../support/real-stack';

jest.setTimeout(240_000);

const stack = new JourneyStack(testKafka());
const redis = createRedis(config.CDP_REDIS_URL, 'journey-rules-test');
const store = new JourneyStateStore(redis);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  await stack.start();
  await stack.storeDefinition('destination', 'mailer');
  await stack.storeDefinition('segment', 'vip');
  const applied = await stack.apply([
    {
      kind: 'journey',
      id: 'vip-welcome',
      trigger: { segment: 'vip' },
      steps: [{ id: 'greet', send: { destination: 'mailer', message: 'vip-welcome' } }],
    },
    {
      kind: 'journey',
      id: 'ping',
      trigger: { event: 'Ping' },
      reentry: { after_seconds: 2 },
      steps: [{ id: 'pong', send: { destination: 'mailer', message: 'pong' } }],
    },
    {
      kind: 'journey',
      id: 'knock',
      trigger: { event: 'Knock' },
      reentry: 'never',
      steps: [{ id: 'answer', send: { destination: 'mailer', message: 'who-is-there' } }],
    },
    {
      kind: 'journey',
      id: 'cart',
      trigger: { event: 'Cart Created' },
      exit_when: [{ event: 'Cart Emptied', reason: 'emptied' }],
      steps: [
        { id: 'hold', wait: { seconds: 3 } },
        { id: 'remind', send: { destination: 'mailer', message: 'cart-reminder' } },
      ],
    },
    {
      kind: 'journey',
      id: 'trial',
      trigger: { event: 'Trial Started' },
      steps: [
        { id: 'hello', send: { destination: 'mailer', message: 'trial-hello' } },
        { id: 'hold', wait: { seconds: 4 } },
        { id: 'follow-up', send: { destination: 'mailer', message: 'trial-follow-up' } },
      ],
    },
    {
      kind: 'journey',
      id: 'webinar',
      trigger: { event: 'Webinar Joined' },
      steps: [
        { id: 'hold', wait: { seconds: 3 } },
        { id: 'recording', send: { destination: 'mailer', message: 'recording' } },
      ],
    },
    {
      kind: 'journey',
      id: 'edition',
      trigger: { event: 'Edition' },
      steps: [
        { id: 'hold', wait: { seconds: 3 } },
        { id: 'note', send: { destination: 'mailer', message: 'v1-message' } },
      ],
    },
  ]);
  expect(applied.err).toEqual([]);
  await sleep(1500);
});

afterAll(async () => {
  await stack.stop();
  await redis.quit();
});

const track = (userId: string, event: string, n = 1) => ({
  type: 'track',
  userId,
  event,
  messageId: `${userId}-${event}-${n}`,
});
const messagesOf = (journeyId: string) =>
  stack.actions.records.filter((r) => r.journeyId === journeyId).map((r) => r.message);

it('re-enters only after the re-entry delay, and never for reentry: never', async () => {
  await stack.send([track('rita', 'Ping', 1), track('rita', 'Knock', 1)]);
  await waitFor('the first pong', async () => (messagesOf('ping').length >= 1 ? true : undefined));
  await stack.send([track('rita', 'Ping', 2), track('rita', 'Knock', 2)]);
  await sleep(2500);
  await stack.send([track('rita', 'Ping', 3), track('rita', 'Knock', 3)]);
  await waitFor('the second pong', async () => (messagesOf('ping').length >= 2 ? true : undefined));
  await sleep(1000);
  expect(messagesOf('ping')).toEqual(['pong', 'pong']);
  expect(messagesOf('knock')).toEqual(['who-is-there']);
});

it('exits on exit_when during a wait and sends nothing more', async () => {
  await stack.send([track('emil', 'Cart Created'), track('fay', 'Cart Created')]);
  await sleep(500);
  await stack.send([track('emil', 'Cart Emptied')]);
  await waitFor("fay's reminder", async () => (messagesOf('cart').length >= 1 ? true : undefined));
  await sleep(2000);
  const reminders = stack.actions.records.filter((r) => r.journeyId === 'cart');
  expect(reminders).toHaveLength(1);
  expect((JSON.parse(reminders[0]!.payload) as { userId: string }).userId).toBe('fay');
});

it('merges two running instances into one: the more advanced goes on, on the survivor', async () => {
  // Two profiles, each in the trial journey, then an identify links them.
  await stack.send([
    { type: 'track', anonymousId: 'anon-gus', event: 'Trial Started', messageId: 'gus-anon-trial' },
    track('gus', 'Trial Started'),
  ]);
  await waitFor('two hellos', async () => (messagesOf('trial').length >= 2 ? true : undefined));
  const profiles = [
    ...new Set(stack.actions.records.filter((r) => r.journeyId === 'trial').map((r) => r.profileId)),
  ];
  expect(profiles).toHaveLength(2);
  await stack.send([{ type: 'identify', userId: 'gus', anonymousId: 'anon-gus', messageId: 'gus-identify' }]);
  await waitFor('the follow-up', async () => (messagesOf('trial').length >= 3 ? true : undefined));
  await sleep(5000);
  const followUps = stack.actions.records.filter((r) => r.message === 'trial-follow-up');
  expect(followUps).toHaveLength(1);
  const survivor = followUps[0]!.profileId;
  expect(profiles).toContain(survivor);
  const loser = profiles.find((p) => p !== survivor)!;
  expect((await store.read(stack.tenant, loser)).slots.size).toBe(0);
  const slot = decodeSlot((await store.read(stack.tenant, survivor)).slots.get('trial'));
  expect(slot.run).toBeUndefined();
  expect(slot.entries).toBe(2);
});

it('a deleted journey exits its running instances', async () => {
  await stack.send([track('hal', 'Webinar Joined')]);
  const profile = await waitFor('hal waiting', async () => {
    const members = await redis.zrange(timersKey(stack.tenant), 0, -1);
    const member = members.find((m) => m.includes('|webinar|'));
    return member === undefined ? undefined : parseTimerMember(member)?.profileId;
  });
  expect(await stack.deleteJourney('webinar')).toBe(0);
  await waitFor('the instance to exit', async () => {
    const slot = decodeSlot((await store.read(stack.tenant, profile)).slots.get('webinar'));
    return slot.run === undefined ? true : undefined;
  });
  await sleep(4000);
  expect(messagesOf('webinar')).toEqual([]);
  expect((await redis.zrange(timersKey(stack.tenant), 0, -1)).filter((m) => m.includes('|webinar|'))).toEqual(
    [],
  );
});

it('an instance finishes on the version it started with', async () => {
  await stack.send([track('ida', 'Edition')]);
  await waitFor('ida waiting', async () => {
    const members = await redis.zrange(timersKey(stack.tenant), 0, -1);
    return members.some((m) => m.includes('|edition|')) ? true : undefined;
  });
  const applied = await stack.apply([
    {
      kind: 'journey',
      id: 'edition',
      trigger: { event: 'Edition' },
      steps: [
        { id: 'hold', wait: { seconds: 1 } },
        { id: 'note', send: { destination: 'mailer', message: 'v2-message' } },
      ],
    },
  ]);
  expect(applied.out).toEqual(['journey edition: updated, version 2']);
  await sleep(1500);
  await stack.send([track('jon', 'Edition')]);
  await waitFor('both notes', async () => (messagesOf('edition').length >= 2 ? true : undefined));
  const notes = stack.actions.records.filter((r) => r.journeyId === 'edition');
  const of = (user: string) =>
    notes.find((r) => (JSON.parse(r.payload) as { userId: string }).userId === user)!;
  expect([of('ida').message, of('ida').journeyVersion]).toEqual(['v1-message', 1]);
  expect([of('jon').message, of('jon').journeyVersion]).toEqual(['v2-message', 2]);
});

it('enters on a segment membership change (entered), not on an exit or another segment', async () => {
  const record = (profileId: string, segmentId: string, status: 'entered' | 'exited', version: number) => ({
    changeId: `${segmentId}:${profileId}:${version}`,
    segmentId,
    profileId,
    status,
    version,
    segmentVersion: 1,
    changedAt: Date.now(),
  });
  await stack.publishMembership([
    record('seg-profile-1', 'vip', 'entered', 1),
    record('seg-profile-2', 'vip', 'exited', 1),
    record('seg-profile-3', 'churned', 'entered', 1),
  ]);
  await waitFor('the vip welcome', async () => (messagesOf('vip-welcome').length >= 1 ? true : undefined));
  await sleep(1500);
  const sent = stack.actions.records.filter((r) => r.journeyId === 'vip-welcome');
  expect(sent.map((r) => r.profileId)).toEqual(['seg-profile-1']);
  expect(JSON.parse(sent[0]!.payload)).toMatchObject({
    trigger: { name: 'segment:vip' },
    profileId: 'seg-profile-1',
  });
});
