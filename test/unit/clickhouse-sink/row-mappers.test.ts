// The pure record -> row mappers of the ClickHouse sink.
import { DLQ_HEADERS } from '../../../services/common/kafka/dead-letter';
import { toClickHouseDateTime } from '../../../services/clickhouse-sink/clickhouse-datetime';
import { deadLetterRow, tenantFromKey } from '../../../services/clickhouse-sink/dead-letter-rows';
import { eventRow, flattenProperties } from '../../../services/clickhouse-sink/event-rows';
import { overrideRows } from '../../../services/clickhouse-sink/override-rows';
import { profileRows } from '../../../services/clickhouse-sink/profile-rows';
import { warningRow } from '../../../services/clickhouse-sink/warning-rows';
import type { IdentityMergeRecord } from '../../../services/common/streams/identity-merges';
import type { ResolvedEventRecord } from '../../../services/common/streams/resolved-events';

const T = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

describe('toClickHouseDateTime', () => {
  it('writes UTC seconds and clamps to the DateTime range', () => {
    expect(toClickHouseDateTime(T)).toBe('2026-01-02 03:04:05');
    expect(toClickHouseDateTime(-5000)).toBe('1970-01-01 00:00:00');
    expect(toClickHouseDateTime(1e15)).toBe('2106-02-07 06:28:15');
  });
});

describe('flattenProperties', () => {
  it('keeps strings as-is and other values as JSON', () => {
    expect(flattenProperties('{"a":"x","n":1.5,"o":{"k":[1]},"b":true,"z":null}')).toEqual({
      keys: ['a', 'n', 'o', 'b', 'z'],
      values: ['x', '1.5', '{"k":[1]}', 'true', 'null'],
    });
  });
  it('gives empty arrays for invalid JSON or a non-object', () => {
    expect(flattenProperties('{oops')).toEqual({ keys: [], values: [] });
    expect(flattenProperties('[1,2]')).toEqual({ keys: [], values: [] });
  });
});

describe('eventRow', () => {
  const event: ResolvedEventRecord = {
    messageId: 'm1',
    type: 'track',
    tenant: 't1',
    userId: 'u1',
    anonymousId: null,
    previousId: null,
    event: 'Order Completed',
    name: null,
    groupId: null,
    traits: null,
    properties: '{"total":99.5,"currency":"EUR"}',
    context: '{"ip":"1.2.3.4"}',
    integrations: null,
    timestamp: T,
    sentAt: null,
    originalTimestamp: null,
    receivedAt: T + 1000,
    profileId: 'p1',
    resolvedAt: T + 2000,
  };
  it('maps the envelope, nulls to empty strings, and flattens properties', () => {
    expect(eventRow(event)).toEqual({
      tenant: 't1',
      message_id: 'm1',
      type: 'track',
      event: 'Order Completed',
      name: '',
      user_id: 'u1',
      anonymous_id: '',
      previous_id: '',
      group_id: '',
      profile_id: 'p1',
      timestamp: '2026-01-02 03:04:05',
      received_at: '2026-01-02 03:04:06',
      resolved_at: '2026-01-02 03:04:07',
      properties: '{"total":99.5,"currency":"EUR"}',
      traits: '',
      context: '{"ip":"1.2.3.4"}',
      prop_keys: ['total', 'currency'],
      prop_values: ['99.5', 'EUR'],
    });
  });
});

describe('profileRows', () => {
  it('gives a profile row and one identity row per identifier, versioned by updatedAt', () => {
    const rows = profileRows({
      tenant: 't1',
      profileId: 'p1',
      version: 4,
      identifiers: ['email:a@x.io', 'user_id:u1'],
      traits: '{"plan":"pro"}',
      traitTimestamps: {},
      mergedInto: null,
      mergeCount: 0,
      firstSeen: T,
      lastSeen: T + 1000,
      updatedAt: T + 2000,
      mergedFrom: [],
      traitState: null,
    });
    expect(rows.profile).toEqual({
      tenant: 't1',
      profile_id: 'p1',
      version: 4,
      traits: '{"plan":"pro"}',
      identifiers: ['email:a@x.io', 'user_id:u1'],
      first_seen: '2026-01-02 03:04:05',
      last_seen: '2026-01-02 03:04:06',
      updated_at: '2026-01-02 03:04:07',
      is_deleted: 0,
      merged_into: '',
      trait_keys: ['plan'],
      trait_values: ['pro'],
    });
    expect(rows.identities).toEqual([
      { tenant: 't1', identifier: 'email:a@x.io', profile_id: 'p1', version: T + 2000 },
      { tenant: 't1', identifier: 'user_id:u1', profile_id: 'p1', version: T + 2000 },
    ]);
  });
});

describe('overrideRows', () => {
  const merge: IdentityMergeRecord = {
    mergeId: 'L:S',
    tenant: 't1',
    survivorId: 'S',
    loserId: 'L',
    survivorVersion: 3,
    identifiersMoved: [],
    sourceMessageId: null,
    mergedAt: T,
  };
  it('points the loser and its descendants at the root', () => {
    expect(
      overrideRows(merge, 'S', ['D1', 'D2']).map((r) => [r.old_profile_id, r.override_profile_id]),
    ).toEqual([
      ['L', 'S'],
      ['D1', 'S'],
      ['D2', 'S'],
    ]);
  });
  it('uses the root when the survivor was merged away, and never points a profile at itself', () => {
    const rows = overrideRows(merge, 'R', ['R', 'D1']);
    expect(rows.map((r) => [r.old_profile_id, r.override_profile_id])).toEqual([
      ['L', 'R'],
      ['D1', 'R'],
    ]);
    expect(rows.every((r) => r.version === T)).toBe(true);
  });
});

describe('warningRow', () => {
  it('maps a warning', () => {
    expect(
      warningRow({
        warningId: 'm1:limit:email:x',
        tenant: 't1',
        messageId: 'm1',
        profileId: null,
        code: 'limit',
        message: 'too many emails',
        identifier: 'email:x',
        trait: null,
        occurredAt: T,
      }),
    ).toEqual({
      tenant: 't1',
      warning_id: 'm1:limit:email:x',
      message_id: 'm1',
      profile_id: '',
      code: 'limit',
      message: 'too many emails',
      identifier: 'email:x',
      trait: '',
      occurred_at: '2026-01-02 03:04:05',
    });
  });
});

describe('deadLetterRow', () => {
  it('keeps the original bytes and reads the reason headers', () => {
    const row = deadLetterRow({
      topic: 'cdp.events.dlq.v1',
      partition: 2,
      offset: '17',
      key: Buffer.from('t1:track:u1'),
      value: Buffer.from([0, 1, 2, 255]),
      timestamp: T,
      headers: {
        trace: Buffer.from('abc'),
        [DLQ_HEADERS.errorClass]: Buffer.from('DecodeError'),
        [DLQ_HEADERS.errorMessage]: Buffer.from('bad bytes'),
        [DLQ_HEADERS.sourceTopic]: Buffer.from('cdp.events.raw.v1'),
        [DLQ_HEADERS.sourcePartition]: Buffer.from('5'),
        [DLQ_HEADERS.sourceOffset]: Buffer.from('9007199254740993'),
        [DLQ_HEADERS.sourceTimestamp]: Buffer.from(String(T)),
        [DLQ_HEADERS.service]: Buffer.from('identity-resolver'),
        [DLQ_HEADERS.failedAt]: Buffer.from(new Date(T + 1000).toISOString()),
      },
    });
    expect(row).toEqual({
      dlq_topic: 'cdp.events.dlq.v1',
      dlq_partition: 2,
      dlq_offset: '17',
      tenant: 't1',
      source_topic: 'cdp.events.raw.v1',
      source_partition: 5,
      source_offset: '9007199254740993',
      source_timestamp: '2026-01-02 03:04:05',
      key_base64: Buffer.from('t1:track:u1').toString('base64'),
      value_base64: 'AAEC/w==',
      error_class: 'DecodeError',
      error_message: 'bad bytes',
      service: 'identity-resolver',
      headers_json: '{"trace":"abc"}',
      failed_at: '2026-01-02 03:04:06',
    });
  });
  it('never throws on missing headers or key', () => {
    const row = deadLetterRow({
      topic: 'd',
      partition: 0,
      offset: '1',
      key: null,
      value: null,
      headers: {},
      timestamp: T,
    });
    expect(row.source_offset).toBe('-1');
    expect(row.failed_at).toBe('2026-01-02 03:04:05');
    expect(tenantFromKey(Buffer.from('profile-id-only'))).toBe('');
  });
});
