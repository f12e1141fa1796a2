// The codec takes a stream: every record type round-trips through the real schema registry under a
// topic of any name, with no schema map, and what cannot be a record of the stream is poison.
import { AvroCodec, subjectFor } from '../../../services/common/codec/avro-codec';
import { PoisonMessageError } from '../../../services/common/kafka/consumed-message';
import { ALL_STREAMS } from '../../../services/common/streams/all-streams';
import { deadLetters } from '../../../services/common/streams/dead-letters';
import { identityMerges, type IdentityMergeRecord } from '../../../services/common/streams/identity-merges';
import { profileChanges, type ProfileChangeRecord } from '../../../services/common/streams/profile-changes';
import { profileSnapshots } from '../../../services/common/streams/profile-snapshots';
import type { AvroStream } from '../../../services/common/streams/stream';
import { config, uniqueName } from '../../support/real-stack';
import { randomRecord } from '../../support/stream-samples';

const avroStreams = ALL_STREAMS.filter((s): s is AvroStream => s.encoding === 'avro');

const change: ProfileChangeRecord = {
  changeId: 'p-1:3',
  tenant: 'demo',
  profileId: 'p-1',
  version: 3,
  kind: 'merged',
  sourceMessageId: 'm-1',
  identifiersAdded: ['email:a@example.com'],
  mergedFrom: ['p-0'],
  traitsChanged: [{ name: 'plan', oldValue: null, newValue: '"pro"' }],
  changedAt: Date.parse('2024-05-01T10:00:00Z'),
};

describe('AvroCodec.encodeRecord / decodeRecord with the real registry', () => {
  it.each(avroStreams.map((s) => [s.name, s] as const))(
    '%s: a record written to a test topic reads back equal in another process',
    async (_, stream) => {
      const topic = uniqueName(`test.stream.${stream.name}`);
      const record = randomRecord(stream);
      const encoded = await new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL).encodeRecord(stream, record, topic);
      expect(encoded[0]).toBe(0);
      // A fresh codec knows nothing of the test topic: the stream alone says how to read it.
      expect(await new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL).decodeRecord(stream, encoded)).toEqual(
        record,
      );

      const res = await fetch(
        `${config.CDP_SCHEMA_REGISTRY_URL}/subjects/${subjectFor(topic)}/versions/latest`,
      );
      expect(res.status).toBe(200);
      const registered = JSON.parse(((await res.json()) as { schema: string }).schema) as { name: string };
      expect(registered.name).toBe((stream.schema() as { name: string }).name);
    },
  );

  it("writes to the stream's own topic when no topic is given", async () => {
    // The same contract under a topic of its own, so the shared stack's subjects stay untouched.
    const stream: AvroStream = { ...profileChanges, topic: uniqueName('test.stream.default') };
    const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    const encoded = await codec.encodeRecord(stream, change);
    const res = await fetch(
      `${config.CDP_SCHEMA_REGISTRY_URL}/subjects/${subjectFor(stream.topic)}/versions/latest`,
    );
    expect(res.status).toBe(200);
    expect(encoded.readUInt32BE(1)).toBe(((await res.json()) as { id: number }).id);
    expect(await codec.decodeRecord(profileChanges, encoded)).toEqual(change);
  });

  it('reads a record written with an older schema into the current record type', async () => {
    const topic = uniqueName('test.stream.old-snapshot');
    const current = profileSnapshots.schema() as { fields: { name: string }[] };
    // The first snapshot schema had neither mergedFrom nor traitState (both added with defaults).
    const older = {
      ...current,
      fields: current.fields.filter((f) => !['mergedFrom', 'traitState'].includes(f.name)),
    };
    const writer = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    await writer.register(topic, older);
    const old = {
      tenant: 'demo',
      profileId: 'p-1',
      version: 1,
      identifiers: ['user_id:u-1'],
      traits: '{}',
      traitTimestamps: {},
      mergedInto: null,
      mergeCount: 0,
      firstSeen: 1,
      lastSeen: 2,
      updatedAt: 3,
    };
    const encoded = await writer.encode(topic, old);
    const decoded = await new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL).decodeRecord(
      profileSnapshots,
      encoded,
    );
    expect(decoded).toEqual({ ...old, mergedFrom: [], traitState: null });
  });

  it('dead-letters a record Avro carries but the record type refuses, naming the field', async () => {
    const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    const topic = uniqueName('test.stream.far-future');
    // A long Avro accepts, but no Date can hold it: reading it on would throw RangeError downstream.
    const encoded = await codec.encodeRecord(profileChanges, { ...change, changedAt: 9e15 }, topic);
    const failure = codec.decodeRecord(profileChanges, encoded);
    await expect(failure).rejects.toBeInstanceOf(PoisonMessageError);
    await expect(failure).rejects.toMatchObject({ errorClass: 'RecordContractError' });
    await expect(failure).rejects.toThrow(/not a profileChanges record: changedAt: /);
  });

  it('dead-letters a record of another stream and bytes that are not Avro', async () => {
    const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    const merge: IdentityMergeRecord = {
      mergeId: 'p-0:p-1',
      tenant: 'demo',
      survivorId: 'p-1',
      loserId: 'p-0',
      survivorVersion: 3,
      identifiersMoved: [],
      sourceMessageId: null,
      mergedAt: 1,
    };
    const encoded = await codec.encodeRecord(identityMerges, merge, uniqueName('test.stream.merge'));
    await expect(codec.decodeRecord(profileChanges, encoded)).rejects.toMatchObject({
      errorClass: 'DecodeError',
    });
    await expect(codec.decodeRecord(profileChanges, Buffer.from('{}'))).rejects.toBeInstanceOf(
      PoisonMessageError,
    );
    await expect(codec.decodeRecord(profileChanges, null)).rejects.toBeInstanceOf(PoisonMessageError);
  });

  it('does not take the dead-letter stream: its values are the original bytes', () => {
    const attempt = (codec: AvroCodec) =>
      // @ts-expect-error the DLQ is an original-bytes stream, not an Avro one
      codec.encodeRecord(deadLetters, {});
    expect(deadLetters.encoding).toBe('original-bytes');
    expect(typeof attempt).toBe('function');
  });
});
