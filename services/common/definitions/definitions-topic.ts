// The definitions topic as storage: read it whole, publish new versions and tombstones.
import type { AvroCodec } from '../codec/avro-codec';
import type { Kafka } from '../kafka/kafka-client';
import type { MessageSender, OutgoingMessage } from '../kafka/producer';
import { readTopicToEnd } from '../kafka/read-to-end';
import {
  definitionKey,
  definitions as definitionsStream,
  type DefinitionRecord,
} from '../streams/definitions';
import type { StoredDefinition } from './definition-kind';

export function storedFromRecord(record: DefinitionRecord): StoredDefinition {
  return {
    tenant: record.tenant,
    kind: record.kind,
    id: record.id,
    version: record.version,
    body: JSON.parse(record.body) as unknown,
    updatedAt: record.updatedAt,
  };
}

/** `tenant:kind:id` of a message key; null when the key is not one. */
export function parseDefinitionKey(key: Buffer | null): { tenant: string; kind: string; id: string } | null {
  if (key === null) return null;
  const [tenant, kind, ...rest] = key.toString('utf8').split(':');
  if (tenant === undefined || kind === undefined || rest.length === 0) return null;
  return { tenant, kind, id: rest.join(':') };
}

/** Every live definition, optionally of one tenant: the topic read to the end it had when asked. */
export async function readDefinitions(
  kafka: Kafka,
  codec: Pick<AvroCodec, 'decodeRecord'>,
  options: { tenant?: string; topic?: string } = {},
): Promise<StoredDefinition[]> {
  const latest = new Map<string, StoredDefinition>();
  await readTopicToEnd({
    kafka,
    topic: options.topic ?? definitionsStream.topic,
    onRecord: async ({ key, value }) => {
      const name = parseDefinitionKey(key);
      if (name === null || (options.tenant !== undefined && name.tenant !== options.tenant)) return;
      const k = definitionKey(name.tenant, name.kind, name.id);
      if (value === null) latest.delete(k);
      else latest.set(k, storedFromRecord(await codec.decodeRecord(definitionsStream, value)));
    },
  });
  return [...latest.values()];
}

export async function definitionMessage(
  codec: Pick<AvroCodec, 'encodeRecord'>,
  record: DefinitionRecord,
  topic: string = definitionsStream.topic,
): Promise<OutgoingMessage> {
  return {
    topic,
    key: definitionsStream.key(record),
    value: await codec.encodeRecord(definitionsStream, record, topic),
  };
}

export function tombstoneMessage(
  name: { tenant: string; kind: string; id: string },
  topic: string = definitionsStream.topic,
): OutgoingMessage {
  return { topic, key: definitionKey(name.tenant, name.kind, name.id), value: null };
}

export async function publish(sender: MessageSender, messages: OutgoingMessage[]): Promise<void> {
  // One send: Kafka appends the whole apply to the single partition in order, or none of it.
  if (messages.length > 0) await sender.send(messages);
}
