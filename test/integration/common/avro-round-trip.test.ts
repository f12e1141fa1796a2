// An Avro record goes through the real schema registry and Kafka and comes back equal.
import { AvroCodec, subjectFor } from '../../../services/common/codec/avro-codec';
import { PoisonMessageError } from '../../../services/common/kafka/consumed-message';
import { createProducer } from '../../../services/common/kafka/producer';
import {
  config,
  createTopics,
  deleteTopics,
  readTopic,
  testKafka,
  uniqueName,
} from '../../support/real-stack';

const schemaV1 = {
  type: 'record',
  name: 'Greeting',
  namespace: 'io.cdp.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'count', type: 'int' },
  ],
};
// BACKWARD-compatible evolution: a new field with a default.
const schemaV2 = {
  ...schemaV1,
  fields: [...schemaV1.fields, { name: 'note', type: ['null', 'string'], default: null }],
};

describe('Avro codec with the real registry and Kafka', () => {
  const kafka = testKafka();
  const topic = uniqueName('test.avro');

  beforeAll(() => createTopics(kafka, [topic]));
  afterAll(() => deleteTopics(kafka, [topic]));

  it('registers, encodes, produces, consumes and decodes', async () => {
    const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    const id = await codec.register(topic, schemaV1);
    expect(id).toBeGreaterThan(0);
    const encoded = await codec.encode(topic, { id: 'a-1', count: 7 });
    expect(encoded[0]).toBe(0); // Confluent magic byte
    expect(encoded.readUInt32BE(1)).toBe(id);

    const producer = await createProducer(kafka);
    await producer.send([{ topic, key: 'a-1', value: encoded }]);
    await producer.disconnect();

    const [record] = await readTopic(kafka, topic, 1);
    expect(record?.key).toBe('a-1');
    expect(await codec.decode(record!.value)).toEqual({ id: 'a-1', count: 7 });

    const res = await fetch(
      `${config.CDP_SCHEMA_REGISTRY_URL}/subjects/${subjectFor(topic)}/versions/latest`,
    );
    expect(res.status).toBe(200);
  });

  it('reads old records through a newer, backward-compatible reader schema', async () => {
    const writer = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    const evolvingTopic = uniqueName('test.avro.evolve');
    await writer.register(evolvingTopic, schemaV1);
    const old = await writer.encode(evolvingTopic, { id: 'b', count: 1 });

    const reader = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    await reader.register(evolvingTopic, schemaV2);
    expect(await reader.decode(old, evolvingTopic)).toEqual({ id: 'b', count: 1, note: null });
  });

  it('rejects an incompatible change at registration', async () => {
    const t = uniqueName('test.avro.incompatible');
    const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    await codec.register(t, schemaV1);
    const breaking = { ...schemaV1, fields: [...schemaV1.fields, { name: 'required_new', type: 'string' }] };
    await expect(new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL).register(t, breaking)).rejects.toThrow();
  });

  it('classifies garbage and unknown schema ids as poison, not as outages', async () => {
    const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    await expect(codec.decode(Buffer.from('{"not":"avro"}'))).rejects.toBeInstanceOf(PoisonMessageError);
    const unknownId = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 0x41]);
    await expect(codec.decode(unknownId)).rejects.toMatchObject({ errorClass: 'UnknownSchema' });
  });
});
