// The destinations step of a delete: who is called, how retryable answers are retried, what the
// receipt row says, and that a recorded answer is never asked for again.
import { destinationSchema, type Destination } from '../../../services/common/definitions/kinds/destination';
import type { PrivacyStoreResult } from '../../../services/common/streams/privacy-receipts';
import type { DeletionSubject } from '../../../services/activation/delete-subject';
import type { Answer } from '../../../services/activation/transports';
import {
  deleteAtDestinations,
  isUnconfirmedDestination,
  type DestinationDeletionDeps,
} from '../../../services/privacy/destination-deletions';

const hook = (id: string, supports_deletion: boolean): Destination =>
  destinationSchema.parse({
    kind: 'destination',
    id,
    type: 'webhook',
    url: `https://${id}.example.com/cdp`,
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    supports_deletion,
  });

const subject = {
  tenant: 'acme',
  profileId: 'p1',
  profileIds: ['p1', 'p0'],
  identifiers: ['anonymous_id:a1', 'user_id:u1'],
};

function progress(recorded: PrivacyStoreResult[] = []) {
  const steps = new Map(recorded.map((r) => [r.store, r]));
  return {
    requestId: 'req-1',
    steps,
    step: (store: string) => steps.get(store),
    saveStep: async (r: PrivacyStoreResult) => void steps.set(r.store, r),
  };
}

const ok: Answer = { kind: 'delivered', status: 204, answer: 'HTTP 204' };
const busy: Answer = { kind: 'retry', status: 503, answer: 'HTTP 503: busy' };

function deps(answers: Record<string, Answer[]>, destinations: Destination[]) {
  const calls: { destination: string; subject: DeletionSubject }[] = [];
  const sleeps: number[] = [];
  const d: DestinationDeletionDeps = {
    destinations: (tenant) => (tenant === 'acme' ? destinations : []),
    callDestination: async (destination, who) => {
      calls.push({ destination: destination.id, subject: who });
      const queue = answers[destination.id]!;
      return queue.length > 1 ? queue.shift()! : queue[0]!;
    },
    destinationRetry: { attempts: 4, backoff: { initialMs: 100, maxMs: 1000 } },
    sleep: async (ms) => void sleeps.push(ms),
  };
  return { d, calls, sleeps };
}

test('only destinations declaring supports_deletion are called, once each, with the whole subject', async () => {
  const { d, calls } = deps({ b: [ok], a: [ok] }, [hook('b', true), hook('quiet', false), hook('a', true)]);
  const p = progress();
  const rows = await deleteAtDestinations(d, p, subject);
  expect(calls.map((c) => c.destination)).toEqual(['a', 'b']);
  expect(calls[0]!.subject).toEqual({
    tenant: 'acme',
    profileId: 'p1',
    identifiers: ['anonymous_id:a1', 'user_id:u1'],
    requestId: 'req-1',
  });
  expect(rows).toEqual([
    {
      store: 'destination:a',
      removed: 1,
      remaining: null,
      expiresAt: null,
      note: 'deletion accepted: HTTP 204',
    },
    {
      store: 'destination:b',
      removed: 1,
      remaining: null,
      expiresAt: null,
      note: 'deletion accepted: HTTP 204',
    },
  ]);
  expect(rows.some(isUnconfirmedDestination)).toBe(false);
  expect([...p.steps.keys()]).toEqual(['destination:a', 'destination:b']);
});

test('a retryable answer is retried with growing backoff until the destination accepts', async () => {
  const { d, calls, sleeps } = deps({ a: [busy, busy, ok] }, [hook('a', true)]);
  const [row] = await deleteAtDestinations(d, progress(), subject);
  expect(calls).toHaveLength(3);
  expect(sleeps).toHaveLength(2);
  // Full jitter in the upper half: attempt 1 waits 50-100 ms, attempt 2 100-200 ms.
  expect(sleeps[0]).toBeGreaterThanOrEqual(50);
  expect(sleeps[0]).toBeLessThanOrEqual(100);
  expect(sleeps[1]).toBeGreaterThanOrEqual(100);
  expect(sleeps[1]).toBeLessThanOrEqual(200);
  expect(row).toMatchObject({ removed: 1, note: 'deletion accepted: HTTP 204' });
});

test('a destination that keeps failing is recorded as not confirmed after the last attempt', async () => {
  const { d, calls, sleeps } = deps({ a: [busy] }, [hook('a', true)]);
  const [row] = await deleteAtDestinations(d, progress(), subject);
  expect(calls).toHaveLength(4);
  expect(sleeps).toHaveLength(3);
  expect(row).toMatchObject({ removed: 0, note: 'deletion not confirmed after 4 attempts: HTTP 503: busy' });
  expect(isUnconfirmedDestination(row!)).toBe(true);
});

test('a refusal is final: no retry, recorded as refused', async () => {
  const refused: Answer = { kind: 'refused', status: 404, answer: 'HTTP 404: no such user' };
  const { d, calls } = deps({ a: [refused] }, [hook('a', true)]);
  const [row] = await deleteAtDestinations(d, progress(), subject);
  expect(calls).toHaveLength(1);
  expect(row).toMatchObject({ removed: 0, note: 'deletion refused: HTTP 404: no such user' });
  expect(isUnconfirmedDestination(row!)).toBe(true);
});

test('after a restart a destination whose answer is recorded is not called again', async () => {
  const recorded = {
    store: 'destination:a',
    removed: 1,
    remaining: null,
    expiresAt: null,
    note: 'deletion accepted: HTTP 200',
  };
  const { d, calls } = deps({ a: [ok], b: [ok] }, [hook('a', true), hook('b', true)]);
  const rows = await deleteAtDestinations(d, progress([recorded]), subject);
  expect(calls.map((c) => c.destination)).toEqual(['b']);
  expect(rows[0]).toEqual(recorded);
});

test('rows of the platform own stores are never taken for destinations', () => {
  expect(
    isUnconfirmedDestination({
      store: 'redis:identity-graph',
      removed: 0,
      remaining: 0,
      expiresAt: null,
      note: null,
    }),
  ).toBe(false);
});
