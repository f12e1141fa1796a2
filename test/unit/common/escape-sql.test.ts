import { sqlIdentifier, sqlLiteral, sqlString } from '../../../services/common/clickhouse/escape-sql';

describe('escape-sql', () => {
  it('quotes strings so a quote cannot end the literal', () => {
    expect(sqlString("o'brien")).toBe("'o\\'brien'");
    expect(sqlString("x' OR 1=1 --")).toBe("'x\\' OR 1=1 --'");
    expect(sqlString('back\\slash')).toBe("'back\\\\slash'");
    expect(sqlString("\\' ; DROP TABLE t")).toBe("'\\\\\\' ; DROP TABLE t'");
  });

  it('writes control characters as hex escapes', () => {
    expect(sqlString('a\nb\u0000')).toBe("'a\\x0ab\\x00'");
  });

  it('quotes identifiers', () => {
    expect(sqlIdentifier('events')).toBe('`events`');
    expect(sqlIdentifier('we`ird')).toBe('`we\\`ird`');
    expect(() => sqlIdentifier('')).toThrow();
  });

  it('renders numbers, booleans, dates, null and arrays', () => {
    expect(sqlLiteral(42)).toBe('42');
    expect(sqlLiteral(true)).toBe('1');
    expect(sqlLiteral(null)).toBe('NULL');
    expect(sqlLiteral(new Date('2026-01-02T03:04:05.678Z'))).toBe("'2026-01-02 03:04:05'");
    expect(sqlLiteral(['a', "b'", 3])).toBe("['a', 'b\\'', 3]");
    expect(() => sqlLiteral(Number.NaN)).toThrow(/finite/);
  });
});
