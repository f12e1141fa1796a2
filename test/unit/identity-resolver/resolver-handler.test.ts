// The resolver's Kafka side without Kafka, Redis or a registry: the raw record is checked once where
// it is decoded, the graph gets what it reads, and the resolved event is that same record passed on.
import {
  RecordContractError,
  type RecordDecoder,
  type RecordEncoder,
} from '../../../services/common/codec/avro-codec';
import type { RawEventRecord } from '../../../services/common/events/event-record';
import type { ConsumedMessage } from '../../../services/common/kafka/consumed-message';
import type { ResolvedEventRecord } from '../../../services/common/streams/resolved-events';
import type { AvroStream } from '../../../services/common/streams/stream';
import type { IdentityEventInput } from '../../../services/identity-resolver/identity-event';
import type { IdentityOutcome } from '../../../services/identity-resolver/identity-outcome';
import { parseIdentityRules } from '../../../services/identity-resolver/identity-rules';
import { createResolverHandler } from '../../../services/identity-resolver/resolver-handler';

const AT = Date.parse('2024-05-01T10:00:05Z');

const record: RawEventRecord = {
  messageId: 'm-1',
  type: 'identify',
  tenant: 'shop',
  userId: 'u-1',
  anonymousId: null,
  previousId: null,
  event: null,
  name: null,
  groupId: null,
  traits: '{"plan":"pro"}',
  // Spacing and number spelling a re-serialisation would change.
  properties: '{ "total" : 1.50 }',
  context: '{"traits":{"email":"ann@example.com"}}',
  integrations: '{"All":true}',
  timestamp: Date.parse('2024-05-01T10:00:00Z'),
  sentAt: null,
  originalTimestamp: null,
  receivedAt: Date.parse('2024-05-01T10:00:01Z'),
};

/** The codec's contract: decodeRecord checks the value against the stream's record type. */
const codec: RecordDecoder & RecordEncoder = {
  decodeRecord: (async (stream: AvroStream, buffer: Buffer | null) => {
    const value: unknown = JSON.parse(buffer!.toString('utf8'));
    const parsed = stream.record.safeParse(value);
    if (!parsed.success) throw new RecordContractError(stream.name, value, parsed.error);
    return parsed.data;
  }) as RecordDecoder['decodeRecord'],
  encodeRecord: (async (stream: AvroStream, value: unknown, topic?: string) =>
    Buffer.from(JSON.stringify({ stream: stream.name, topic, value }))) as RecordEncoder['encodeRecord'],
  recordEncoder: (async (stream: AvroStream, topic?: string) => (value: unknown) =>
    Buffer.from(JSON.stringify({ stream: stream.name, topic, value }))) as RecordEncoder['recordEncoder'],
};

function outcome(input: IdentityEventInput): IdentityOutcome {
  return {
    status: 'resolved',
    duplicate: false,
    tenant: input.tenant,
    messageId: input.messageId,
    profileId: 'p-1',
    version: 4,
    appliedAt: AT,
    created: false,
    changed: true,
    mergedFrom: [],
    identifiersAdded: [],
    identifiersRefused: [],
    traitsChanged: [],
    tombstones: [],
    warnings: [],
    profile: {
      profileId: 'p-1',
      identifiers: ['user_id:u-1'],
      traits: { plan: 'pro' },
      traitState: {},
      version: 4,
      firstSeen: '2024-05-01T10:00:00.000Z',
      lastSeen: '2024-05-01T10:00:00.000Z',
      mergedFrom: [],
    },
    mergedSince: [],
  };
}

function message(value: unknown, key = 'shop:user_id:u-1'): ConsumedMessage {
  return {
    topic: 'raw',
    partition: 0,
    offset: '7',
    key: Buffer.from(key),
    value: Buffer.from(JSON.stringify(value)),
    headers: {},
    timestamp: AT,
  };
}

const topics = { resolved: 'r', changes: 'c', profiles: 'p', merges: 'm', warnings: 'w' };

function handler(seen: IdentityEventInput[], noted: unknown[] = []) {
  return createResolverHandler({
    codec,
    graph: {
      resolveEvent: async (input) => {
        seen.push(input);
        return outcome(input);
      },
    },
    pending: { note: (_m, outputs) => noted.push(outputs) },
    rulesFor: (tenant) => (tenant === 'shop' ? parseIdentityRules({}, 'shop') : undefined),
    topics,
  });
}

function decoded(value: Buffer | null): { stream: string; topic: string; value: unknown } {
  return JSON.parse(value!.toString('utf8')) as { stream: string; topic: string; value: unknown };
}

describe('createResolverHandler', () => {
  it('gives the graph ids, parsed traits and context and ISO instants, nothing it does not read', async () => {
    const seen: IdentityEventInput[] = [];
    await handler(seen)(message(record));
    expect(seen).toEqual([
      {
        messageId: 'm-1',
        tenant: 'shop',
        type: 'identify',
        userId: 'u-1',
        traits: { plan: 'pro' },
        context: { traits: { email: 'ann@example.com' } },
        timestamp: '2024-05-01T10:00:00.000Z',
        receivedAt: '2024-05-01T10:00:01.000Z',
      },
    ]);
  });

  it('sends the record it read as the resolved event, JSON text unchanged, plus profile and time', async () => {
    const noted: unknown[] = [];
    const outputs = await handler([], noted)(message(record));
    expect(outputs.map((o) => [o.topic, o.key])).toEqual([
      ['r', 'p-1'],
      ['c', 'p-1'],
      ['p', 'p-1'],
    ]);
    const resolved = decoded(outputs[0]!.value);
    expect(resolved.stream).toBe('eventsResolved');
    expect(resolved.value).toEqual({
      ...record,
      profileId: 'p-1',
      resolvedAt: AT,
    } satisfies ResolvedEventRecord);
    expect(decoded(outputs[2]!.value)).toMatchObject({
      stream: 'profiles',
      topic: 'p',
      value: { version: 4 },
    });
    expect(noted).toEqual([
      { outcomeKey: expect.any(String), snapshots: [{ tenant: 'shop', profileId: 'p-1', version: 4 }] },
    ]);
  });

  it('refuses, as an EventRecordError, a record the raw-event stream does not accept', async () => {
    const seen: IdentityEventInput[] = [];
    for (const bad of [
      { ...record, traits: '[1]' },
      { ...record, userId: '' },
      { ...record, type: 'track' },
    ]) {
      await expect(handler(seen)(message(bad))).rejects.toMatchObject({
        name: 'PoisonMessageError',
        errorClass: 'EventRecordError',
        message: expect.stringMatching(/^event m-1: /),
      });
    }
    expect(seen).toEqual([]);
  });

  it('refuses a body whose tenant is not the key tenant, and an unknown tenant', async () => {
    await expect(handler([])(message(record, 'other:user_id:u-1'))).rejects.toMatchObject({
      errorClass: 'TenantMismatch',
    });
    await expect(
      handler([])(message({ ...record, tenant: 'nobody' }, 'nobody:user_id:u-1')),
    ).rejects.toMatchObject({ errorClass: 'UnknownTenant' });
  });
});
