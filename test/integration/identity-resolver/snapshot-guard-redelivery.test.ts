// A message delivered again after its outcome was released (a crash between the after-send step and
// the offset commit) is a duplicate: it writes a snapshot of the profile it resolved to. When that
// profile is merged away by another partition before the duplicate's snapshot lands, and the
// process dies before its after-send check, the loser's snapshot sits after its tombstone. The next
// delivery writes the survivor, and must still make sure the loser ends with a tombstone.
// Each step is the resolver's own handler and after-send step on the real stack, called in the
// order the crash produces.
import type Redis from 'ioredis';
import type { ConsumedMessage } from '../../../services/common/kafka/consumed-message';
import type { OutgoingMessage } from '../../../services/common/kafka/producer';
import { readTopicToEnd } from '../../../services/common/kafka/read-to-end';
import { profileSnapshots } from '../../../services/common/streams/profile-snapshots';
import { createAfterSend } from '../../../services/identity-resolver/after-send';
import { IdentityGraph } from '../../../services/identity-resolver/identity-graph';
import { parseIdentityRules } from '../../../services/identity-resolver/identity-rules';
import { PendingOutputs } from '../../../services/identity-resolver/pending-outputs';
import { createResolverHandler } from '../../../services/identity-resolver/resolver-handler';
import { deleteTenantKeys, testRedis, uniqueTenant } from '../../support/identity-graph-fixtures';
import {
  createResolverTopics,
  dropResolverTopics,
  eventPublisher,
  type EventPublisher,
  type ResolverTestTopics,
} from '../../support/identity-resolver-stack';
import { readTopic, testKafka } from '../../support/real-stack';

jest.setTimeout(120_000);

const kafka = testKafka();
const tenant = uniqueTenant('guard-dup');
let redis: Redis;
let topics: ResolverTestTopics;
let publisher: EventPublisher;

beforeAll(async () => {
  redis = testRedis();
  topics = await createResolverTopics(kafka, 1);
  publisher = await eventPublisher(kafka, topics.input);
});

afterAll(async () => {
  await publisher?.producer.disconnect();
  await deleteTenantKeys(redis, tenant);
  await redis.quit();
  await dropResolverTopics(kafka, topics);
});

/** One life of a resolver process: its own pending outputs, the production handler and after-send. */
function resolverLife() {
  const { resolved, changes, profiles, merges, warnings } = topics;
  const graph = new IdentityGraph(redis);
  const pending = new PendingOutputs();
  const rules = parseIdentityRules({}, tenant);
  const send = async (messages: OutgoingMessage[]) => {
    await publisher.producer.send(messages);
  };
  const handle = createResolverHandler({
    codec: publisher.codec,
    graph,
    rulesFor: (t) => (t === tenant ? rules : undefined),
    topics: { resolved, changes, profiles, merges, warnings },
    pending,
  });
  const afterSend = createAfterSend({
    graph,
    pending,
    guard: { redis, graph, codec: publisher.codec, send, topic: topics.profiles },
  });
  return {
    handle,
    send,
    /** Handled, sent and checked: everything but the offset commit. */
    async deliver(message: ConsumedMessage): Promise<OutgoingMessage[]> {
      const out = await handle(message);
      await send(out);
      await afterSend([message]);
      return out;
    },
  };
}

async function lastProfileRecords(): Promise<Map<string, { version: number } | null>> {
  const last = new Map<string, { version: number } | null>();
  await readTopicToEnd({
    kafka,
    topic: topics.profiles,
    onRecord: async ({ key, value }) => {
      const id = key?.toString('utf8') ?? '';
      if (value === null) last.set(id, null);
      else last.set(id, await publisher.codec.decodeRecord(profileSnapshots, value));
    },
  });
  return last;
}

test("a duplicate's snapshot of a loser, landed after the loser's tombstone, is tombstoned by the next delivery", async () => {
  const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString();
  await publisher.publish([
    { messageId: 'g-1', tenant, type: 'identify', userId: 'ann', timestamp: at(1), receivedAt: at(1) },
    { messageId: 'g-2', tenant, type: 'page', anonymousId: 'web-1', timestamp: at(2), receivedAt: at(2) },
    {
      messageId: 'g-3',
      tenant,
      type: 'identify',
      userId: 'ann',
      anonymousId: 'web-1',
      timestamp: at(3),
      receivedAt: at(3),
    },
  ]);
  const [annOnly, webOnly, login] = (await readTopic(kafka, topics.input, 3)).map((r): ConsumedMessage => ({
    topic: topics.input,
    partition: r.partition,
    offset: r.offset,
    key: r.key === null ? null : Buffer.from(r.key),
    value: r.value,
    headers: {},
    timestamp: Date.now(),
  })) as [ConsumedMessage, ConsumedMessage, ConsumedMessage];

  // First life: both profiles created, outputs acknowledged, outcomes released; it dies before the
  // commit, so both messages come again, as duplicates.
  const first = resolverLife();
  await first.deliver(annOnly);
  await first.deliver(webOnly);

  // Second life handles the duplicates (each writes a snapshot of its profile, still live)...
  const second = resolverLife();
  const duplicates = [await second.handle(annOnly), await second.handle(webOnly)];

  // ...while another partition's writer merges the two and tombstones the loser.
  const merging = await resolverLife().deliver(login);
  const tombstones = merging.filter((m) => m.topic === topics.profiles && m.value === null);
  expect(tombstones).toHaveLength(1);
  const loser = String(tombstones[0]?.key);

  // The second life's snapshot of the loser lands after the tombstone; it dies before its check.
  const loserDuplicate = duplicates.find((out) =>
    out.some((m) => m.topic === topics.profiles && m.key === loser && m.value !== null),
  ) as OutgoingMessage[];
  expect(loserDuplicate).toBeDefined();
  await second.send(loserDuplicate);
  expect((await lastProfileRecords()).get(loser)).not.toBeNull();

  // Third life: the same message again. It writes the survivor; the loser must end as a tombstone.
  await resolverLife().deliver(loserDuplicate === duplicates[0] ? annOnly : webOnly);
  const last = await lastProfileRecords();
  expect(last.get(loser)).toBeNull();
  const survivor = [...last.keys()].find((id) => id !== loser) as string;
  const stored = await new IdentityGraph(redis).getProfile(tenant, survivor);
  expect(last.get(survivor)).toMatchObject({ version: stored?.version });
});
