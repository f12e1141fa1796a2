// The pure parts of the privacy service: table conditions, topic horizons, receipt text, digests.
import { formatReceipt } from '../../../services/cli/commands/privacy-command';
import { identifierDigest } from '../../../services/common/privacy/suppression';
import { identifiersOfEvent } from '../../../services/common/privacy/event-identifiers';
import { DEFAULT_IDENTITY_RULES } from '../../../services/identity-resolver/identity-rules';
import { receiptIdOf } from '../../../services/privacy/carry-out-request';
import { personalDataTable } from '../../../services/privacy/personal-data-tables';
import { expiryOf } from '../../../services/privacy/topic-horizons';

const subject = {
  tenant: 'acme',
  profileIds: ['p1', 'p2'],
  identifiers: ['user_id:u1', "email:o'neil@x.io"],
};

test('conditions are restricted to the tenant and escape every value', () => {
  expect(personalDataTable('events')!.where(subject)).toBe(
    "tenant = 'acme' AND `profile_id` IN ('p1', 'p2')",
  );
  expect(personalDataTable('ingestion_warnings')!.where(subject)).toContain(
    "identifier IN ('user_id:u1', 'email:o\\'neil@x.io')",
  );
  // Dead letters match the raw event key '<tenant>:<type>:<value>' as stored (base64).
  expect(personalDataTable('dead_letters')!.where(subject)).toContain(
    Buffer.from('acme:user_id:u1').toString('base64'),
  );
  expect(personalDataTable('events')!.where({ ...subject, profileIds: [] })).toContain("IN ('')");
});

test('a topic copy expires a segment and a retention after now; a topic kept for ever never does', () => {
  const h = { topic: 't', cleanupPolicy: 'delete', retentionMs: 7 * 86_400_000, segmentMs: 86_400_000 };
  expect(expiryOf(h, 1000)).toBe(1000 + 8 * 86_400_000);
  expect(expiryOf({ ...h, retentionMs: -1 }, 1000)).toBeNull();
});

test('receipt ids derive from the request id; digests hide the identifier and are stable', () => {
  expect(receiptIdOf('r-1')).toBe('receipt:r-1');
  expect(identifierDigest('email:a@b.c')).toMatch(/^[0-9a-f]{64}$/);
  expect(identifierDigest('email:a@b.c')).not.toContain('a@b.c');
  expect(identifierDigest('email:a@b.c')).toBe(identifierDigest('email:a@b.c'));
});

test('the collector sees the identifiers the resolver sees (normalized)', () => {
  const ids = identifiersOfEvent(
    {
      type: 'identify',
      anonymousId: 'a1',
      traits: { email: ' Ann@X.io ' },
      context: { device: { id: 'ABC' } },
    },
    DEFAULT_IDENTITY_RULES,
  );
  expect(ids.sort()).toEqual(['anonymous_id:a1', 'device_id:abc', 'email:ann@x.io']);
});

test('a receipt prints every store with its follow-up count and horizon', () => {
  const text = formatReceipt({
    requestId: 'r-1',
    tenant: 'acme',
    action: 'delete',
    component: 'privacy',
    status: 'completed',
    profileIds: ['p1'],
    identifiers: ['user_id:u1'],
    detail: null,
    receiptId: 'receipt:r-1',
    stores: [
      { store: 'clickhouse:events', removed: 5, remaining: 0, expiresAt: null, note: null },
      {
        store: 'kafka:cdp.events.raw.v1',
        removed: 0,
        remaining: null,
        expiresAt: Date.UTC(2026, 0, 8),
        note: 'x',
      },
    ],
    exportPath: null,
    completedAt: Date.UTC(2026, 0, 1),
  });
  expect(text).toContain('status      completed');
  expect(text).toMatch(/clickhouse:events\s+5\s+0/);
  expect(text).toMatch(/kafka:cdp\.events\.raw\.v1\s+0\s+-\s+2026-01-08T00:00:00.000Z/);
});
