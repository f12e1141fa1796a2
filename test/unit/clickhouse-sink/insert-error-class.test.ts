// Which ClickHouse insert failures are the rows' fault (isolate and dead-letter) and which are the
// server's (retry): messages as 18.16 and current servers write them, and client network errors.
import {
  classifyInsertError,
  clickHouseErrorCode,
  insertErrorReason,
} from '../../../services/clickhouse-sink/insert-error-class';

const old = (code: number, text: string) =>
  new Error(`Code: ${code}, e.displayText() = DB::Exception: ${text}, e.what() = DB::Exception`);
const current = (code: number, text: string, type: string) =>
  Object.assign(new Error(text), { code: String(code), type });

describe('classifyInsertError', () => {
  it.each([
    [
      'lone surrogate (18.16)',
      old(25, 'Cannot parse escape sequence: missing second part of surrogate pair'),
    ],
    ['negative unsigned (18.16)', old(72, "Unsigned type must not contain '-' symbol: (at row 1)")],
    ['FixedString overflow (18.16)', old(131, 'Too large value for FixedString(4): (at row 1)')],
    ['number syntax (18.16)', old(27, 'Cannot parse input: expected , before: e20')],
    ['bad datetime (current)', current(41, 'Cannot parse datetime', 'CANNOT_PARSE_DATETIME')],
    ['bad escape (current)', current(25, 'Cannot parse escape sequence', 'CANNOT_PARSE_ESCAPE_SEQUENCE')],
  ])('%s is data', (_name, err) => {
    expect(classifyInsertError(err)).toBe('data');
  });

  it.each([
    [
      'connection refused',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' }),
    ],
    ['socket reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['timeout', new Error('Timeout error.')],
    ['memory limit', old(241, 'Memory limit (total) exceeded')],
    ['read-only table', current(242, 'Table is in readonly mode', 'TABLE_IS_READ_ONLY')],
    [
      'too many parts',
      old(252, 'Too many parts (300). Merges are processing significantly slower than inserts'),
    ],
    [
      'too many partitions in one insert',
      current(252, 'Too many partitions for single INSERT block', 'TOO_MANY_PARTS'),
    ],
    ['unknown table', old(60, "Table cdp.events doesn't exist")],
    [
      'schema drift: table older than the sink',
      old(117, 'Unknown field found while parsing JSONEachRow format: zz'),
    ],
    ['no code at all', new Error('something odd')],
    ['not an error', 'text'],
  ])('%s is retried', (_name, err) => {
    expect(classifyInsertError(err)).toBe('retry');
  });
});

describe('clickHouseErrorCode', () => {
  it('reads the client code, else the message, else nothing', () => {
    expect(clickHouseErrorCode(current(25, 'x', 'T'))).toBe(25);
    expect(clickHouseErrorCode(old(131, 'x'))).toBe(131);
    expect(clickHouseErrorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeUndefined();
    expect(clickHouseErrorCode(null)).toBeUndefined();
  });
});

describe('insertErrorReason', () => {
  it('keeps the first line of the server message', () => {
    expect(insertErrorReason(new Error('Code: 72, Unsigned: (at row 1)\n, e.what() = DB::Exception'))).toBe(
      'Code: 72, Unsigned: (at row 1)',
    );
  });
});
