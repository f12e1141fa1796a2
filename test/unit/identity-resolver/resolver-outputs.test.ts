// The records the resolver publishes per outcome: which topics, keys, ids, and what goes to the DLQ.
import avro from 'avsc';
import type { RawEventRecord } from '../../../services/common/events/event-record';
import { PoisonMessageError } from '../../../services/common/kafka/consumed-message';
import type { IdentityOutcome, ProfileSnapshot } from '../../../services/identity-resolver/identity-outcome';
import {
  fromSnapshotRecord,
  toSnapshotRecord,
} from '../../../services/identity-resolver/profile-snapshot-record';
import { writtenSnapshots } from '../../../services/identity-resolver/resolver-handler';
import { buildResolverOutputs, OUTPUT_STREAMS } from '../../../services/identity-resolver/resolver-outputs';

const NOW = new Date('2025-02-01T00:00:00.000Z');

const event: RawEventRecord = {
  messageId: 'm-1',
  type: 'identify',
  tenant: 'shop',
  userId: 'u-1',
  anonymousId: 'a-1',
  previousId: null,
  event: null,
  name: null,
  groupId: null,
  traits: '{"email":"ann@example.com","plan":"pro"}',
  properties: null,
  context: null,
  integrations: null,
  timestamp: Date.parse('2025-01-01T00:00:10.000Z'),
  sentAt: null,
  originalTimestamp: null,
  receivedAt: Date.parse('2025-01-01T00:00:10.000Z'),
};

const profile: ProfileSnapshot = {
  profileId: 'p-survivor',
  identifiers: ['anonymous_id:a-1', 'email:ann@example.com', 'user_id:u-1'],
  traits: { plan: 'pro' },
  traitState: {
    plan: { kind: 'set', ts: Date.parse('2025-01-01T00:00:10.000Z'), value: '"pro"' },
    coupon: { kind: 'unset', ts: Date.parse('2025-01-01T00:00:05.000Z') },
  },
  version: 3,
  firstSeen: '2025-01-01T00:00:01.000Z',
  lastSeen: '2025-01-01T00:00:10.000Z',
  mergedFrom: ['p-loser'],
};

function outcome(overrides: Partial<IdentityOutcome> = {}): IdentityOutcome {
  return {
    status: 'resolved',
    duplicate: false,
    tenant: 'shop',
    messageId: 'm-1',
    profileId: 'p-survivor',
    version: 3,
    appliedAt: NOW.getTime(),
    created: false,
    changed: true,
    mergedFrom: ['p-loser'],
    identifiersAdded: ['user_id:u-1'],
    identifiersRefused: [],
    traitsChanged: [{ name: 'plan', oldValue: null, newValue: '"pro"' }],
    tombstones: [
      {
        profileId: 'p-loser',
        mergedInto: 'p-survivor',
        version: 2,
        identifiersMoved: ['anonymous_id:a-1'],
      },
    ],
    warnings: [{ code: 'blocked_value', message: 'anonymous is blocked', identifier: 'anonymous' }],
    profile,
    mergedSince: [],
    ...overrides,
  };
}

describe('buildResolverOutputs', () => {
  it('emits resolved event, change, snapshot, tombstone, merge and warning for a merging event', () => {
    const outputs = buildResolverOutputs(event, outcome());
    expect(outputs.map((o) => [o.kind, o.key, o.value === null])).toEqual([
      ['resolved', 'p-survivor', false],
      ['changes', 'p-survivor', false],
      ['profiles', 'p-survivor', false],
      ['profiles', 'p-loser', true],
      ['merges', 'p-survivor', false],
      ['warnings', 'shop:m-1', false],
    ]);
    expect(outputs[1]?.value).toMatchObject({
      changeId: 'p-survivor:3',
      kind: 'merged',
      version: 3,
      sourceMessageId: 'm-1',
      mergedFrom: ['p-loser'],
    });
    expect(outputs[4]?.value).toMatchObject({
      mergeId: 'p-loser:p-survivor',
      survivorId: 'p-survivor',
      loserId: 'p-loser',
      survivorVersion: 3,
      identifiersMoved: ['anonymous_id:a-1'],
      mergedAt: NOW.getTime(),
    });
    expect(outputs[5]?.value).toMatchObject({
      warningId: 'm-1:blocked_value:anonymous',
      code: 'blocked_value',
    });
  });

  it('writes every record so its stream accepts it, keyed as its stream keys it', () => {
    for (const o of buildResolverOutputs(event, outcome())) {
      if (o.value === null) continue;
      const stream = OUTPUT_STREAMS[o.kind];
      const type = avro.Type.forSchema(stream.schema() as avro.Schema);
      expect([o.kind, type.isValid(o.value)]).toEqual([o.kind, true]);
      expect([o.kind, stream.record.safeParse(o.value).error]).toEqual([o.kind, undefined]);
      expect(o.key).toBe((stream.key as (r: typeof o.value) => string)(o.value));
    }
  });

  it('names the change kind: created, updated', () => {
    const created = buildResolverOutputs(event, outcome({ created: true, mergedFrom: [], tombstones: [] }));
    expect(created.find((o) => o.kind === 'changes')?.value).toMatchObject({ kind: 'created' });
    const updated = buildResolverOutputs(event, outcome({ mergedFrom: [], tombstones: [] }));
    expect(updated.find((o) => o.kind === 'changes')?.value).toMatchObject({ kind: 'updated' });
  });

  it('emits no change when nothing changed, but still the resolved event and the snapshot', () => {
    const kinds = buildResolverOutputs(
      event,
      outcome({ changed: false, mergedFrom: [], tombstones: [], warnings: [] }),
    ).map((o) => o.kind);
    expect(kinds).toEqual(['resolved', 'profiles']);
  });

  it('carries what changed, not the whole profile (the snapshot topic has that)', () => {
    const change = buildResolverOutputs(event, outcome()).find((o) => o.kind === 'changes')?.value;
    expect(Object.keys(change ?? {})).not.toContain('traits');
    expect(Object.keys(change ?? {})).not.toContain('identifiers');
    expect(change).toMatchObject({
      identifiersAdded: ['user_id:u-1'],
      traitsChanged: [{ name: 'plan', oldValue: null, newValue: '"pro"' }],
    });
  });

  it('re-sends a replayed outcome as it was first sent: same ids, versions and times', () => {
    const first = buildResolverOutputs(event, outcome());
    const later = { ...profile, version: 5, lastSeen: '2025-01-02T00:00:00.000Z' };
    const replay = buildResolverOutputs(
      event,
      outcome({ status: 'replayed', duplicate: true, profile: later }),
    );
    const notSnapshots = (list: typeof first) => list.filter((o) => o.kind !== 'profiles');
    expect(notSnapshots(replay)).toEqual(notSnapshots(first));
    // The snapshot is today's profile, not the one of the first delivery.
    expect(replay.find((o) => o.kind === 'profiles' && o.value !== null)?.value).toMatchObject({
      version: 5,
    });
  });

  it('re-emits the current snapshot for a duplicate, never a second change', () => {
    const duplicate = outcome({
      status: 'duplicate',
      duplicate: true,
      changed: false,
      mergedFrom: [],
      tombstones: [],
      warnings: [],
    });
    expect(buildResolverOutputs(event, duplicate).map((o) => o.kind)).toEqual(['resolved', 'profiles']);
  });

  it('dead-letters events without a usable identifier and rejections', () => {
    const unresolved = outcome({
      status: 'unresolved',
      profileId: null,
      profile: null,
      warnings: [{ code: 'blocked_value', message: 'user_id "null" is blocked' }],
    });
    expect(() => buildResolverOutputs(event, unresolved)).toThrow(PoisonMessageError);
    expect(() => buildResolverOutputs(event, unresolved)).toThrow(/no usable identifier: user_id "null"/);
    try {
      buildResolverOutputs(event, { status: 'rejected', tenant: 'shop', messageId: 'm-1', reason: 'bad' });
    } catch (err) {
      expect(err).toBeInstanceOf(PoisonMessageError);
      expect((err as PoisonMessageError).errorClass).toBe('IdentityRejected');
    }
  });
});

describe('profile snapshot record', () => {
  it('round-trips the graph snapshot, trait state included', () => {
    const record = toSnapshotRecord('shop', profile, NOW);
    expect(record.traitTimestamps).toEqual({
      coupon: profile.traitState.coupon?.ts,
      plan: profile.traitState.plan?.ts,
    });
    expect(record.mergeCount).toBe(1);
    expect(fromSnapshotRecord(record)).toEqual({ tenant: 'shop', snapshot: profile });
  });

  it('reads snapshots written before traitState existed as plain sets', () => {
    // As the current schema reads an old record: traitState and mergedFrom take their defaults.
    const old = { ...toSnapshotRecord('shop', profile, NOW), traitState: null, mergedFrom: [] };
    const { snapshot } = fromSnapshotRecord(old);
    expect(snapshot.traitState).toEqual({
      plan: { kind: 'set', ts: profile.traitState.plan?.ts, value: '"pro"' },
    });
  });

  it('refuses a snapshot whose traits are not JSON', () => {
    const record = { ...toSnapshotRecord('shop', profile, NOW), traits: '{' };
    expect(() => fromSnapshotRecord(record)).toThrow(/traits is not valid JSON/);
  });
});

describe('writtenSnapshots (what the snapshot guard checks)', () => {
  it('names every snapshot and tombstone an event writes', () => {
    expect(writtenSnapshots(outcome(), buildResolverOutputs(event, outcome()))).toEqual([
      { tenant: 'shop', profileId: 'p-survivor', version: 3 },
      { tenant: 'shop', profileId: 'p-loser', version: null },
    ]);
  });

  it('also names each profile a replay was applied to that has been merged away since', () => {
    // Applied to p-first at version 2; p-first merged into p-mid, p-mid into p-survivor since: an
    // earlier delivery wrote a snapshot of one of them, this one writes the survivor. The guard
    // must still see both (and tombstone them).
    const replay = outcome({
      status: 'replayed',
      duplicate: true,
      profileId: 'p-first',
      version: 2,
      tombstones: [],
      mergedSince: [
        { profileId: 'p-first', version: 2 },
        { profileId: 'p-mid', version: 4 },
      ],
    });
    expect(writtenSnapshots(replay, buildResolverOutputs(event, replay))).toEqual([
      { tenant: 'shop', profileId: 'p-survivor', version: 3 },
      { tenant: 'shop', profileId: 'p-first', version: 2, earlierDelivery: true },
      { tenant: 'shop', profileId: 'p-mid', version: 4, earlierDelivery: true },
    ]);
  });

  it('names them for a duplicate too: its outcome was released, but a later delivery sent a snapshot', () => {
    const duplicate = outcome({
      status: 'duplicate',
      duplicate: true,
      profileId: 'p-survivor',
      version: null,
      changed: false,
      tombstones: [],
      mergedSince: [{ profileId: 'p-first', version: 1 }],
    });
    expect(writtenSnapshots(duplicate, buildResolverOutputs(event, duplicate))).toEqual([
      { tenant: 'shop', profileId: 'p-survivor', version: 3 },
      { tenant: 'shop', profileId: 'p-first', version: 1, earlierDelivery: true },
    ]);
  });

  it('adds nothing when nothing was merged away since', () => {
    const live = outcome({ status: 'replayed', duplicate: true, tombstones: [] });
    expect(writtenSnapshots(live, buildResolverOutputs(event, live)).map((w) => w.profileId)).toEqual([
      'p-survivor',
    ]);
    const duplicate = outcome({
      status: 'duplicate',
      duplicate: true,
      profileId: 'p-survivor',
      version: null,
      tombstones: [],
    });
    expect(
      writtenSnapshots(duplicate, buildResolverOutputs(event, duplicate)).map((w) => w.profileId),
    ).toEqual(['p-survivor']);
  });
});
