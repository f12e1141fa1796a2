// The control plane on real Kafka: `apply` validates and publishes versions, a follower sees every
// change without a restart, `delete` refuses while another definition uses the target, then
// publishes a tombstone. Uses a private compacted topic and a toy kind of definition.
import {
  applyDefinitions,
  deleteDefinition,
  listDefinitions,
} from '../../../services/cli/commands/definitions-command';
import { AvroCodec } from '../../../services/common/codec/avro-codec';
import {
  DefinitionsFollower,
  type DefinitionChange,
} from '../../../services/common/definitions/definitions-follower';
import { createLogger } from '../../../services/common/logger';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { config, deleteTopics, testKafka, uniqueName, waitFor } from '../../support/real-stack';
import { widgetKind } from '../../support/toy-definition-kind';

const kafka = testKafka();
const topic = uniqueName('test.definitions');
const group = { command: 'widgets', kinds: ['widget'] };
const registry = [widgetKind];
const dir = mkdtempSync(path.join(os.tmpdir(), 'cdp-definitions-'));
const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
let follower: DefinitionsFollower | undefined;

function file(name: string, body: unknown): string {
  const p = path.join(dir, name);
  writeFileSync(p, JSON.stringify(body));
  return p;
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) }, out, err };
}

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
  });
  await admin.disconnect();
});

afterAll(async () => {
  await follower?.stop();
  await deleteTopics(kafka, [topic]);
});

it('applies, follows, lists and deletes definitions', async () => {
  const tenant = 'demo';
  const a = file('a.json', { kind: 'widget', id: 'a', size: 1 });
  const b = file('b.json', [{ kind: 'widget', id: 'b', size: 2, uses: ['a'] }]);

  // Invalid: nothing is published, each problem is named.
  const bad = file('bad.json', { kind: 'widget', id: 'c', size: 0 });
  const refused = capture();
  expect(await applyDefinitions(config, group, [a, bad], { tenant, topic }, registry, refused.io)).toBe(1);
  expect(refused.err[0]).toBe(`${bad}: $.size: Too small: expected number to be >0`);
  expect(refused.err[1]).toContain('nothing was published');

  const applied = capture();
  expect(await applyDefinitions(config, group, [a, b], { tenant, topic }, registry, applied.io)).toBe(0);
  expect(applied.out).toEqual(['widget a: created, version 1', 'widget b: created, version 1']);

  // A follower started now sees both; later changes arrive without a restart.
  const changes: DefinitionChange[] = [];
  follower = new DefinitionsFollower({
    kafka,
    codec,
    logger: createLogger('test', 'fatal'),
    topic,
    registry,
  });
  follower.onChange((c) => void changes.push(c));
  await follower.start();
  expect(follower.list(tenant, 'widget').map((d) => [d.id, d.version])).toEqual([
    ['a', 1],
    ['b', 1],
  ]);

  const again = capture();
  writeFileSync(a, JSON.stringify({ kind: 'widget', id: 'a', size: 5 }));
  expect(await applyDefinitions(config, group, [a, b], { tenant, topic }, registry, again.io)).toBe(0);
  expect(again.out).toEqual(['widget a: updated, version 2', 'widget b: unchanged (version 1)']);
  await waitFor('version 2 of a at the follower', async () =>
    follower!.get(tenant, 'widget', 'a')?.version === 2 ? true : undefined,
  );
  expect(changes.at(-1)).toMatchObject({
    id: 'a',
    before: { version: 1 },
    after: { version: 2, body: { size: 5 } },
  });

  const listed = capture();
  expect(await listDefinitions(config, group, { tenant, json: true, topic }, registry, listed.io)).toBe(0);
  expect(
    (JSON.parse(listed.out[0]!) as { id: string; version: number }[]).map((d) => [d.id, d.version]),
  ).toEqual([
    ['a', 2],
    ['b', 1],
  ]);

  const inUse = capture();
  expect(await deleteDefinition(config, group, 'a', { tenant, topic }, registry, inUse.io)).toBe(1);
  expect(inUse.err[0]).toContain("is used by widget 'b'");

  const gone = capture();
  expect(await deleteDefinition(config, group, 'b', { tenant, topic }, registry, gone.io)).toBe(0);
  await waitFor('b deleted at the follower', async () =>
    follower!.get(tenant, 'widget', 'b') === undefined ? true : undefined,
  );
  expect(changes.at(-1)).toMatchObject({ id: 'b', before: { version: 1 }, after: undefined });
  expect(await deleteDefinition(config, group, 'b', { tenant, topic }, registry, capture().io)).toBe(1);
});
