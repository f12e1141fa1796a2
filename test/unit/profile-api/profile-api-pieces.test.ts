// The profile API's pure pieces: cursor, keyset SQL, token bucket, bearer parsing, min_version wait.
import { sha256Hex, parseTenantsFile } from '../../../services/common/tenants';
import { decodeCursor, encodeCursor, eventsSql } from '../../../services/profile-api/events-query';
import { readAtLeast } from '../../../services/profile-api/read-at-least';
import { bearerKey, generateReadKey } from '../../../services/profile-api/api-keys';
import { TokenBuckets } from '../../../services/profile-api/token-bucket';

test('a cursor round-trips and anything else is refused', () => {
  const cursor = { ts: 1_790_000_000, messageId: "it's-1", since: 1_788_000_000 };
  expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  for (const bad of [
    '',
    'not base64 json',
    Buffer.from('[1,"a"]').toString('base64url'),
    Buffer.from('[-1,"a",0]').toString('base64url'),
  ])
    expect(decodeCursor(bad)).toBeUndefined();
});

test('the events query pages by keyset and escapes every value', () => {
  const sql = eventsSql({
    database: 'cdp',
    tenant: 't',
    profileIds: ["p'1", 'merged'],
    since: 100,
    limit: 10,
    event: 'A\\B',
    after: { ts: 200, messageId: "m'", since: 100 },
  });
  expect(sql).toContain("PREWHERE profile_id IN ('p\\'1', 'merged')");
  expect(sql).toContain("event = 'A\\\\B'");
  expect(sql).toContain(
    "(timestamp < toDateTime(200) OR (timestamp = toDateTime(200) AND message_id < 'm\\''))",
  );
  expect(sql).toContain('ORDER BY timestamp DESC, message_id DESC\nLIMIT 1 BY message_id\nLIMIT 11');
  expect(sql).not.toContain('FINAL');
  expect(sql).not.toContain('OFFSET');
});

test('a token bucket allows its burst, then refills at its rate', () => {
  let now = 0;
  const buckets = new TokenBuckets(2, 3, () => now);
  expect([1, 2, 3, 4].map(() => buckets.take('k').allowed)).toEqual([true, true, true, false]);
  expect(buckets.take('k').retryAfterSeconds).toBe(1);
  expect(buckets.take('other').allowed).toBe(true);
  now = 500;
  expect(buckets.take('k').allowed).toBe(true);
  expect(buckets.take('k').allowed).toBe(false);
  expect(new TokenBuckets(0, 1, () => now).take('k').allowed).toBe(true);
});

test('only a Bearer header carries a read key', () => {
  expect(bearerKey('Bearer abc')).toBe('abc');
  expect(bearerKey('bearer  abc ')).toBe('abc');
  expect(bearerKey('Basic abc')).toBeUndefined();
  expect(bearerKey('Bearer')).toBeUndefined();
  expect(bearerKey(undefined)).toBeUndefined();
  expect(generateReadKey()).not.toBe(generateReadKey());
});

test('min_version polls until reached, or gives the last value after the wait', async () => {
  let version = 1;
  const read = () => Promise.resolve({ version: version++ });
  expect(await readAtLeast(read, 3, { waitMs: 10_000, pollMs: 1 })).toEqual({
    value: { version: 3 },
    met: true,
  });
  let clock = 0;
  const stuck = () => Promise.resolve({ version: 1 });
  const result = await readAtLeast(stuck, 5, { waitMs: 3, pollMs: 1, now: () => clock++ });
  expect(result).toEqual({ value: { version: 1 }, met: false });
  expect(await readAtLeast(() => Promise.resolve(null), undefined, { waitMs: 0, pollMs: 1 })).toEqual({
    value: null,
    met: true,
  });
});

test('the tenants file refuses a read key that is a write key or belongs to two tenants', () => {
  const file = (tenants: unknown[]) => JSON.stringify({ tenants });
  expect(() =>
    parseTenantsFile(
      file([{ id: 'a', writeKeys: ['write-key-a'], readKeyHashes: [sha256Hex('write-key-a')] }]),
      'f',
    ),
  ).toThrow('tenants.0.readKeyHashes.0 is the hash of a write key');
  const h = sha256Hex('shared-read-key');
  expect(() =>
    parseTenantsFile(
      file([
        { id: 'a', writeKeys: ['write-key-a'], readKeyHashes: [h] },
        { id: 'b', writeKeys: ['write-key-b'], readKeyHashes: [h] },
      ]),
      'f',
    ),
  ).toThrow("read key already used by tenant 'a'");
  expect(() =>
    parseTenantsFile(file([{ id: 'a', writeKeys: ['write-key-a'], readKeyHashes: ['nothex'] }]), 'f'),
  ).toThrow('must be a SHA-256 in hex');
});
