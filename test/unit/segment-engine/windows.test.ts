// Day windows and the expiry schedule in the pure core: `within_days: N` reads UTC days
// today-N+1 .. today (and later), so an event leaves at 00:00 of day d+N, not a second before.
import { evaluateProfile } from '../../../services/segment-engine/evaluate-profile';
import {
  applyEvent,
  emptyState,
  foldInto,
  nextExpiry,
  pruneBuckets,
} from '../../../services/segment-engine/profile-state';
import { DAY, planOf } from '../../support/segment-fixtures';

const plan = planOf('t', [
  { kind: 'segment', id: 'w30', condition: { event: 'E', within_days: 30 } },
  { kind: 'computed_trait', id: 'all', event: 'E', aggregate: 'count' },
]);
const event = (id: string, at: number) => ({
  messageId: id,
  event: 'E',
  timestamp: at,
  properties: { keys: [], values: [] },
});
const day = (iso: string) => Date.parse(iso);

test('an order at 23:59 on 2026-03-01 counts until 2026-03-30T23:59:59.999Z and leaves at 2026-03-31T00:00Z', () => {
  const state = emptyState();
  const now = day('2026-03-01T23:59:00Z');
  applyEvent(state, plan, event('m', now), now);
  expect(evaluateProfile(state, plan, day('2026-03-30T23:59:59.999Z')).segments.w30).toBe(true);
  expect(nextExpiry(state, plan, now)).toBe(day('2026-03-31T00:00:00Z'));
  expect(evaluateProfile(state, plan, day('2026-03-31T00:00:00Z')).segments.w30).toBe(false);
});

test('an order at 00:01 on 2026-03-02 counts through 2026-03-31 and leaves at 2026-04-01T00:00Z', () => {
  const state = emptyState();
  const at = day('2026-03-02T00:01:00Z');
  applyEvent(state, plan, event('m', at), at);
  expect(evaluateProfile(state, plan, day('2026-03-31T23:59:59Z')).segments.w30).toBe(true);
  expect(nextExpiry(state, plan, at)).toBe(day('2026-04-01T00:00:00Z'));
});

test('old days fold into one bucket for the unbounded count, and a duplicate counts once', () => {
  const state = emptyState();
  const t0 = day('2026-03-01T12:00:00Z');
  applyEvent(state, plan, event('a', t0), t0);
  expect(applyEvent(state, plan, event('a', t0), t0)).toBe(false);
  const later = t0 + 40 * DAY;
  pruneBuckets(state, plan, later);
  expect(Object.keys(Object.values(state.b)[0]!)).toEqual(['old']);
  expect(evaluateProfile(state, plan, later)).toEqual({ segments: { w30: false }, computed: { all: 1 } });
  expect(nextExpiry(state, plan, later)).toBeNull();
});

test('a merge folds the loser into the survivor', () => {
  const a = emptyState();
  const b = emptyState();
  const t = day('2026-03-01T12:00:00Z');
  applyEvent(a, plan, event('a', t), t);
  applyEvent(b, plan, event('b', t - DAY), t);
  foldInto(b, a);
  expect(evaluateProfile(b, plan, t).computed.all).toBe(2);
  expect(applyEvent(b, plan, event('a', t), t)).toBe(false);
});
