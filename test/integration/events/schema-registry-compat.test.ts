// Every committed version of every schema, registered in order under a fresh subject with BACKWARD
// compatibility, is accepted by the real registry; an incompatible change is refused.
import { AvroCodec } from '../../../services/common/codec/avro-codec';
import { TOPICS } from '../../../services/common/kafka/topics';
import { readSchema, schemaVersions } from '../../support/avro-schemas';
import { config, uniqueName } from '../../support/real-stack';

jest.setTimeout(120_000);

const run = uniqueName('compat');

describe.each(Object.values(TOPICS))('%s', (topic) => {
  it('registers each committed version, then the working copy, as BACKWARD compatible', async () => {
    const subjectTopic = `${topic}.${run}`;
    const ids: number[] = [];
    for (const version of schemaVersions(topic)) {
      // A fresh codec per version: the codec caches one schema id per topic.
      const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
      ids.push(await codec.register(subjectTopic, JSON.parse(version) as Record<string, unknown>));
    }
    expect(ids.length).toBeGreaterThan(0);
  });
});

it('refuses a change that old data cannot be read with', async () => {
  const subjectTopic = `${TOPICS.eventsRaw}.${run}.broken`;
  const raw = readSchema(TOPICS.eventsRaw) as unknown as Record<string, unknown> & { fields: unknown[] };
  await new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL).register(subjectTopic, raw);
  const broken = { ...raw, fields: [...raw.fields, { name: 'required', type: 'string', doc: 'no default' }] };
  await expect(new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL).register(subjectTopic, broken)).rejects.toThrow(
    /incompatible/i,
  );
});
