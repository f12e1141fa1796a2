import { createHash } from 'node:crypto';
import { compileMapping, MappingError, parseTarget } from '../../../services/import/column-mapping';
import { derivedAnonymousId, rowToMessage } from '../../../services/import/row-to-message';
import { importMessageId } from '../../../services/import/import-message-id';

function targets(header: string[], type: 'identify' | 'track' | 'group' = 'identify', maps: string[] = []) {
  return compileMapping(header, type, maps).columns.map((c) =>
    c.target.kind === 'path'
      ? c.target.path.join('.')
      : c.target.kind === 'externalId'
        ? `ext:${c.target.type}`
        : '-',
  );
}

describe('column mapping defaults', () => {
  it('maps ids, email, phone, timestamp and external ids; other columns become traits', () => {
    expect(
      targets([
        'user_id',
        'Anonymous ID',
        'E-Mail',
        'Phone Number',
        'timestamp',
        'external_id.Salesforce_ID',
        'plan',
        'address.city',
      ]),
    ).toEqual([
      'userId',
      'anonymousId',
      'traits.email',
      'traits.phone',
      'timestamp',
      'ext:salesforce_id',
      'traits.plan',
      'traits.address.city',
    ]);
    expect(targets(['userId', 'USERID'].slice(0, 1))).toEqual(['userId']);
  });

  it('on track rows: event is the event name, email the context trait, other columns properties', () => {
    expect(targets(['userId', 'event', 'email', 'total'], 'track')).toEqual([
      'userId',
      'event',
      'context.traits.email',
      'properties.total',
    ]);
  });

  it('on group rows: groupId is the group, other columns group traits', () => {
    expect(targets(['userId', 'group_id', 'name'], 'group')).toEqual(['userId', 'groupId', 'traits.name']);
  });

  it('--map overrides a column (as written, else ignoring case), with a value kind or - to skip', () => {
    expect(
      targets(['E-Mail', 'Kunde', 'LTV', 'notes'], 'identify', [
        'E-Mail=traits.email',
        'kunde=userId',
        'LTV=traits.ltv:number',
        'Notes=-',
      ]),
    ).toEqual(['traits.email', 'userId', 'traits.ltv', '-']);
  });

  it('skips columns without a name (trailing separators of a spreadsheet export)', () => {
    expect(targets(['email', '', ' '])).toEqual(['traits.email', '-', '-']);
  });

  it('refuses what cannot work before any row is read', () => {
    expect(() => compileMapping(['email', 'Email Address'], 'identify', [])).toThrow(
      /both map to traits.email/,
    );
    expect(() => compileMapping(['address', 'address.city'], 'identify', [])).toThrow(/would write inside/);
    expect(() => compileMapping(['a', 'a'], 'identify', [])).toThrow(/appears twice/);
    expect(() => compileMapping(['a'], 'identify', ['b=traits.b'])).toThrow(
      /--map names "b", not in the header/,
    );
    expect(() => parseTarget('nowhere', 'identify')).toThrow(MappingError);
    expect(() => parseTarget('traits.x:date', 'identify')).toThrow(/unknown value kind/);
    expect(() => parseTarget('userId:number', 'identify')).toThrow(/takes no/);
  });
});

describe('rowToMessage', () => {
  const mapping = compileMapping(
    ['user_id', 'email', 'ltv', 'vip', 'address.city', 'external_id.crm', 'note'],
    'identify',
    ['ltv=traits.ltv:number', 'vip=traits.vip:boolean'],
  );

  it('builds the Segment message, nesting dotted paths and leaving empty cells out', () => {
    expect(
      rowToMessage(['u1', 'ann@example.com', '12.5', 'yes', 'Oslo', 'crm-1', ''], mapping, 'demo'),
    ).toEqual({
      ok: true,
      message: {
        type: 'identify',
        userId: 'u1',
        traits: { email: 'ann@example.com', ltv: 12.5, vip: true, address: { city: 'Oslo' } },
        context: { externalIds: [{ id: 'crm-1', type: 'crm', collection: 'users', encoding: 'none' }] },
      },
    });
  });

  it('gives a row naming a person only by email a stable anonymousId derived from it', () => {
    const a = rowToMessage(['', ' Ann@Example.com', '', '', '', '', ''], mapping, 'demo');
    const b = rowToMessage(['', 'ann@example.com ', '', '', '', '', ''], mapping, 'demo');
    expect(a.ok && a.message.anonymousId).toBe(derivedAnonymousId('demo', 'email', 'ann@example.com'));
    expect(b.ok && b.message.anonymousId).toBe(a.ok && a.message.anonymousId);
    expect(derivedAnonymousId('other', 'email', 'ann@example.com')).not.toBe(a.ok && a.message.anonymousId);
    // No identifier at all: nothing is made up; the collector's check rejects the row.
    const none = rowToMessage(['', '', '1', '', 'Oslo', '', ''], mapping, 'demo');
    expect(none.ok && none.message.anonymousId).toBeUndefined();
  });

  it('rejects a cell its kind cannot read, and a row with another column count', () => {
    expect(rowToMessage(['u1', '', 'lots', '', '', '', ''], mapping, 'demo')).toEqual({
      ok: false,
      problem: { column: 'ltv', code: 'invalid_value', reason: '"lots" is not a number' },
    });
    expect(rowToMessage(['u1', 'x'], mapping, 'demo')).toMatchObject({
      ok: false,
      problem: {
        column: null,
        code: 'wrong_column_count',
        reason: 'expected 7 columns (as in the header), got 2',
      },
    });
  });

  it('sets keys named like Object.prototype fields as plain keys', () => {
    const m = compileMapping(['user_id', '__proto__.polluted'], 'identify', []);
    const out = rowToMessage(['u1', 'yes'], m, 'demo');
    expect(out.ok && JSON.stringify(out.message)).toBe(
      '{"type":"identify","userId":"u1","traits":{"__proto__":{"polluted":"yes"}}}',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('importMessageId', () => {
  it('depends on tenant, file hash and row only, and fits the messageId limit', () => {
    const id = importMessageId('demo', 'a'.repeat(64), 2);
    expect(importMessageId('demo', 'a'.repeat(64), 2)).toBe(id);
    expect(
      new Set([
        id,
        importMessageId('demo', 'a'.repeat(64), 3),
        importMessageId('demo', 'b'.repeat(64), 2),
        importMessageId('acme', 'a'.repeat(64), 2),
      ]).size,
    ).toBe(4);
    expect(id.length).toBeLessThanOrEqual(100);
  });

  it('is the documented digest, so files imported by earlier versions get the same ids again', () => {
    const fileHash = 'a'.repeat(64);
    const expected = createHash('sha256').update(`demo\n${fileHash}\n2`).digest('hex');
    expect(importMessageId('demo', fileHash, 2)).toBe(`import-${expected}`);
  });
});
