// Profile ids and timer members as the engine stores them: packed ids round-trip, any id keeps its
// own bucket, a member names its profile, journey and seq.
import crypto from 'node:crypto';
import fc from 'fast-check';
import {
  BUCKET_COUNT,
  packProfileId,
  parseTimerMember,
  profileLocation,
  timerMember,
  unpackProfileId,
} from '../../../services/journey-engine/journey-keys';

const profileId = fc.oneof(
  fc.uuid().map((u) => u.toLowerCase()),
  fc.string({ minLength: 1 }),
);

it('packs a resolver profile id into 22 characters and back', () => {
  const id = crypto.randomUUID();
  expect(packProfileId(id)).toHaveLength(22);
  expect(unpackProfileId(packProfileId(id))).toBe(id);
});

it('round-trips any profile id, keeping an upper-case UUID as written', () => {
  fc.assert(fc.property(profileId, (id) => expect(unpackProfileId(packProfileId(id))).toBe(id)));
  const upper = crypto.randomUUID().toUpperCase();
  expect(packProfileId(upper)).toBe(`.${upper}`);
});

it('round-trips timer members, whatever the profile id holds', () => {
  fc.assert(
    fc.property(
      profileId,
      fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/),
      fc.nat(),
      (id, journeyId, seq) => {
        expect(parseTimerMember(timerMember(id, journeyId, seq))).toEqual({ profileId: id, journeyId, seq });
      },
    ),
  );
  expect(parseTimerMember('no-separators')).toBeNull();
  expect(parseTimerMember('AAAA|j|?')).toBeNull();
});

it('places a profile in one of the tenant buckets, always the same', () => {
  const id = crypto.randomUUID();
  const a = profileLocation('acme', id);
  expect(profileLocation('acme', id)).toEqual(a);
  expect(a.field).toBe(packProfileId(id));
  expect(a.key).toMatch(/^\{t:acme\}:j:b:[0-9a-f]{1,3}$/);
  const buckets = new Set(
    Array.from({ length: 20_000 }, () => profileLocation('acme', crypto.randomUUID()).key),
  );
  expect(buckets.size).toBeGreaterThan(BUCKET_COUNT * 0.9);
});
