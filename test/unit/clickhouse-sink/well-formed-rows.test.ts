// Rows leave the sink well-formed (the sink maps every row through toWellFormedJson): lone
// surrogates become U+FFFD, pairs are kept, clean rows are passed through untouched.
import { eventRow } from '../../../services/clickhouse-sink/event-rows';
import { toWellFormedJson as wellFormedRow } from '../../../services/common/events/well-formed-json';

describe('sink rows through toWellFormedJson', () => {
  it('fixes strings and string arrays, leaves other values', () => {
    const row = { s: 'x\ud800', n: 5, a: ['ok', '\udfff'], e: [] as string[] };
    expect(wellFormedRow(row)).toEqual({ s: 'x\ufffd', n: 5, a: ['ok', '\ufffd'], e: [] });
    expect(row.s).toBe('x\ud800');
  });

  it('returns the same object when nothing needed fixing', () => {
    const row = { s: 'fine', a: ['ok'] };
    expect(wellFormedRow(row)).toBe(row);
  });

  it('makes the JSONEachRow text of a property holding an escaped lone surrogate parseable as UTF-8', () => {
    // The resolver's properties JSON keeps "\ud800" as an escape; flattening decodes it to a lone
    // surrogate, which JSON.stringify writes back as the escape ClickHouse refuses (Code: 25).
    const row = eventRow({
      tenant: 't',
      messageId: 'm',
      type: 'track',
      userId: 'u',
      anonymousId: null,
      previousId: null,
      event: 'e',
      name: null,
      groupId: null,
      traits: null,
      properties: '{"k":"\\ud800"}',
      context: null,
      integrations: null,
      profileId: 'p',
      timestamp: 0,
      sentAt: null,
      originalTimestamp: null,
      receivedAt: 0,
      resolvedAt: 0,
    });
    expect(JSON.stringify(row)).toContain('\\ud800');
    const fixed = wellFormedRow(row);
    expect(fixed.prop_values).toEqual(['\ufffd']);
    // An escape preceded by an odd number of backslashes is a JSON escape ClickHouse decodes; the
    // properties text keeps its own (escaped once more, so plain text ClickHouse stores as-is).
    expect(JSON.stringify(fixed)).not.toMatch(/(^|[^\\])(\\\\)*\\ud[89a-f][0-9a-f]{2}/i);
    expect(fixed.properties).toBe('{"k":"\\ud800"}');
  });
});
