// Every service instance keeps the definitions in memory: it reads the compacted topic from its
// start, is ready once it reached the end offsets it found at start, and then follows new
// versions and tombstones as they come (an edit takes effect within seconds, without a restart).
// Its consumer group is private and commits nothing: every instance reads the whole topic.
import crypto from 'node:crypto';
import type { Consumer } from 'kafkajs';
import type { AvroCodec } from '../codec/avro-codec';
import type { Kafka } from '../kafka/kafka-client';
import { deletePrivateGroups, nonEmptyEndOffsets } from '../kafka/private-readers';
import type { Logger } from '../logger';
import { definitionKey, definitions as definitionsStream } from '../streams/definitions';
import type { DefinitionKind, DefinitionSet, StoredDefinition } from './definition-kind';
import { parseDefinitionKey, storedFromRecord } from './definitions-topic';
import { DEFINITION_KINDS } from './kinds';

export interface DefinitionChange {
  tenant: string;
  kind: string;
  id: string;
  /** Absent when the definition is new. */
  before?: StoredDefinition;
  /** Absent when it was deleted. */
  after?: StoredDefinition;
}

export type DefinitionListener = (change: DefinitionChange) => void | Promise<void>;

export interface FollowerOptions {
  kafka: Kafka;
  codec: Pick<AvroCodec, 'decodeRecord'>;
  logger: Logger;
  topic?: string;
  /** Only these kinds are kept (default: all). */
  kinds?: string[];
  /** The registry bodies are checked against (default: DEFINITION_KINDS). */
  registry?: readonly DefinitionKind[];
}

export class DefinitionsFollower {
  private readonly store = new Map<string, StoredDefinition>();
  private readonly listeners: DefinitionListener[] = [];
  private consumer?: Consumer;
  private readonly groupId = `cdp-definitions-${crypto.randomBytes(6).toString('hex')}`;
  private readonly topic: string;

  constructor(private readonly options: FollowerOptions) {
    this.topic = options.topic ?? definitionsStream.topic;
  }

  /** Listeners run in topic order, one at a time; a listener that throws is logged, not retried. */
  onChange(listener: DefinitionListener): void {
    this.listeners.push(listener);
  }

  get<T = unknown>(tenant: string, kind: string, id: string): StoredDefinition<T> | undefined {
    return this.store.get(definitionKey(tenant, kind, id)) as StoredDefinition<T> | undefined;
  }

  list<T = unknown>(tenant: string, kind: string): StoredDefinition<T>[] {
    return [...this.store.values()]
      .filter((d) => d.tenant === tenant && d.kind === kind)
      .sort((a, b) => a.id.localeCompare(b.id)) as StoredDefinition<T>[];
  }

  /** Every tenant's definitions of one kind. */
  all<T = unknown>(kind: string): StoredDefinition<T>[] {
    return [...this.store.values()].filter((d) => d.kind === kind) as StoredDefinition<T>[];
  }

  tenantSet(tenant: string): DefinitionSet {
    return { get: (kind, id) => this.get(tenant, kind, id), list: (kind) => this.list(tenant, kind) };
  }

  /** Resolves once every definition published before the call is in memory. */
  async start(): Promise<void> {
    const { kafka } = this.options;
    const ends = await nonEmptyEndOffsets(kafka, this.topic);
    let caughtUp: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (ends.size === 0) caughtUp();

    const consumer = kafka.consumer({ groupId: this.groupId, allowAutoTopicCreation: false });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        await this.apply(message.key, message.value);
        const end = ends.get(partition);
        if (end !== undefined && BigInt(message.offset) + 1n >= end) {
          ends.delete(partition);
          if (ends.size === 0) caughtUp();
        }
      },
    });
    await ready;
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer === undefined) return;
    await consumer.disconnect();
    await deletePrivateGroups(this.options.kafka, [this.groupId]);
  }

  private async apply(key: Buffer | null, value: Buffer | null): Promise<void> {
    const name = parseDefinitionKey(key);
    if (name === null) return;
    if (this.options.kinds !== undefined && !this.options.kinds.includes(name.kind)) return;
    const k = definitionKey(name.tenant, name.kind, name.id);
    const before = this.store.get(k);
    let after: StoredDefinition | undefined;
    if (value !== null) {
      try {
        after = this.checked(
          storedFromRecord(await this.options.codec.decodeRecord(definitionsStream, value)),
        );
      } catch (err) {
        // The CLI validates before it publishes; a body this version cannot read is kept out, loudly.
        this.options.logger.error({ err, key: k }, 'definition refused; the previous version stays in force');
        return;
      }
    }
    if (after === undefined) this.store.delete(k);
    else this.store.set(k, after);
    for (const listener of this.listeners) {
      try {
        await listener({ ...name, before, after });
      } catch (err) {
        this.options.logger.error({ err, key: k }, 'definition listener failed');
      }
    }
  }

  private checked(stored: StoredDefinition): StoredDefinition {
    const kind = (this.options.registry ?? DEFINITION_KINDS).find((k) => k.kind === stored.kind);
    if (kind === undefined) throw new Error(`unknown kind ${stored.kind}`);
    return { ...stored, body: kind.schema.parse(stored.body) };
  }
}
