// Two resolver instances in one consumer group over a 4-partition topic: one person's events carry
// different keys, so they land on different partitions and instances, and are resolved concurrently.
// The graph must end with exactly one profile per person whatever the interleaving.
import type Redis from 'ioredis';
import type { PublishableEvent } from '../../../services/common/events/event-producer';
import type { RunningService } from '../../../services/common/runtime/service-definition';
import { IdentityGraph } from '../../../services/identity-resolver/identity-graph';
import { deleteTenantKeys, testRedis, uniqueTenant } from '../../support/identity-graph-fixtures';
import {
  createResolverTopics,
  dropResolverTopics,
  eventPublisher,
  startTestResolver,
  uniqueName,
  type EventPublisher,
  type ResolverTestTopics,
} from '../../support/identity-resolver-stack';
import { testKafka, waitFor } from '../../support/real-stack';

jest.setTimeout(120_000);

const kafka = testKafka();
const tenant = uniqueTenant('resolver-cc');
const PEOPLE = 8;
let redis: Redis;
let topics: ResolverTestTopics;
let publisher: EventPublisher;
const resolvers: RunningService[] = [];

beforeAll(async () => {
  redis = testRedis();
  topics = await createResolverTopics(kafka, 4);
  publisher = await eventPublisher(kafka, topics.input);
});

afterAll(async () => {
  await Promise.all(resolvers.map((r) => r.stop()));
  await publisher?.producer.disconnect();
  await deleteTenantKeys(redis, tenant);
  await redis.quit();
  await dropResolverTopics(kafka, topics);
});

function identifiersOf(person: number): string[] {
  return [
    `anonymous_id:web-${person}`,
    `anonymous_id:app-${person}`,
    `device_id:dev-${person}`,
    `email:p${person}@example.com`,
    `user_id:u-${person}`,
  ].sort();
}

/** Each event links two of a person's identifiers and is keyed by a different one of them. */
function eventsOf(person: number): PublishableEvent[] {
  const base = { tenant, timestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, person)).toISOString() };
  const id = (n: number) => `p${person}-e${n}`;
  return [
    { ...base, messageId: id(1), type: 'page', anonymousId: `web-${person}` },
    {
      ...base,
      messageId: id(2),
      type: 'screen',
      anonymousId: `app-${person}`,
      context: { device: { id: `dev-${person}` } },
    },
    {
      ...base,
      messageId: id(3),
      type: 'identify',
      anonymousId: `web-${person}`,
      traits: { email: `p${person}@example.com` },
    },
    {
      ...base,
      messageId: id(4),
      type: 'identify',
      userId: `u-${person}`,
      traits: { email: `p${person}@example.com` },
    },
    {
      ...base,
      messageId: id(5),
      type: 'track',
      event: 'Opened',
      anonymousId: `app-${person}`,
      context: { traits: { email: `p${person}@example.com` } },
    },
  ];
}

test('two instances over four partitions build one profile per person', async () => {
  const groupId = uniqueName('cdp-identity-resolver-cc');
  resolvers.push(await startTestResolver(topics, tenant, groupId));
  resolvers.push(await startTestResolver(topics, tenant, groupId));
  // Publish only once both own partitions, so the events really are split between them.
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor('both instances in the group', async () => {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      return group?.state === 'Stable' && group.members.length === 2 ? true : undefined;
    });
  } finally {
    await admin.disconnect();
  }
  // Interleave people so every partition holds events of many people.
  const all = Array.from({ length: PEOPLE }, (_, p) => eventsOf(p));
  const events = all[0]!.flatMap((_, i) => all.map((list) => list[i]!));
  await publisher.publish(events);

  const graph = new IdentityGraph(redis);
  const grouping = await waitFor(
    'every person resolved into one profile',
    async () => {
      const result: { person: number; profileIds: string[]; identifiers: string[] }[] = [];
      for (let p = 0; p < PEOPLE; p++) {
        const profiles = await Promise.all(
          identifiersOf(p).map((id) => graph.getProfileByIdentifier(tenant, id)),
        );
        const ids = [...new Set(profiles.map((x) => x?.profileId ?? 'missing'))];
        if (ids.length !== 1 || ids[0] === 'missing') return undefined;
        result.push({ person: p, profileIds: ids, identifiers: profiles[0]!.identifiers });
      }
      return result;
    },
    90_000,
  );
  for (const { person, identifiers } of grouping)
    expect([person, identifiers]).toEqual([person, identifiersOf(person)]);
  // Different people never share a profile.
  expect(new Set(grouping.map((g) => g.profileIds[0])).size).toBe(PEOPLE);
});
