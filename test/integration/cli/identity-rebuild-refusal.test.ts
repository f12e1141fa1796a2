// `cdp identity rebuild` refuses while the resolver's consumer group has members, naming them.
// A consumer joins a private group standing in for cdp-identity-resolver (the --group option).
import type { Consumer } from 'kafkajs';
import { identityRebuild } from '../../../services/cli/commands/identity-command';
import { createKafka } from '../../../services/common/kafka/kafka-client';
import { config, createTopics, deleteTopics, testKafka, uniqueName, waitFor } from '../../support/real-stack';

const kafka = testKafka();
const topic = uniqueName('test.rebuild-refusal');
const group = uniqueName('test.rebuild-refusal.resolver');
const memberClientId = uniqueName('pretend-resolver');
let consumer: Consumer | undefined;

async function rebuild(): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  try {
    // An empty private topic: when the rebuild runs at all, it reads nothing.
    const code = await identityRebuild(config, { group, topic, tenant: 'rebuild-refusal' });
    return { code, out: out.join('\n'), err: err.join('') };
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
}

beforeAll(async () => {
  await createTopics(kafka, [topic]);
});

afterAll(async () => {
  await consumer?.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.disconnect();
  await deleteTopics(kafka, [topic]);
});

it('refuses while the group has a member, naming it and how to stop it; runs once it left', async () => {
  consumer = createKafka(config, memberClientId).consumer({ groupId: group });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  await consumer.run({ eachMessage: async () => undefined });
  await waitFor('the consumer to join its group', async () => (joined ? true : undefined));

  const refused = await rebuild();
  expect(refused.code).toBe(1);
  expect(refused.out).toBe('');
  expect(refused.err).toContain(`consumer group ${group} has 1 member`);
  expect(refused.err).toMatch(new RegExp(`${memberClientId.replace(/\./g, '\\.')} on host \\S+ \\(member `));
  expect(refused.err).toMatch(/Stop every `cdp run identity-resolver` and `cdp run all` process/);

  await consumer.disconnect();
  consumer = undefined;
  const ran = await rebuild();
  expect([ran.code, ran.err]).toEqual([0, '']);
  expect(ran.out).toMatch(/^cdp identity rebuild: done; read 0/);
});
