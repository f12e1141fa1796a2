// The one way a value becomes ClickHouse SQL text. ClickHouse 18.16 has no query parameters, so every
// literal and identifier built at run time goes through these functions.

/** A single-quoted string literal: backslash and quote are escaped, control bytes written as \xHH. */
export function sqlString(value: string): string {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

/** `(a, b, ...)` of string literals, for `IN`; an empty list has no such text. */
export function sqlInList(values: readonly string[]): string {
  if (values.length === 0) throw new Error('empty list for SQL IN');
  return `(${values.map(sqlString).join(', ')})`;
}

/** A number literal; rejects NaN and infinities, which have no portable literal. */
export function sqlNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number for SQL: ${value}`);
  return String(value);
}

/** A back-quoted identifier (database, table, column). */
export function sqlIdentifier(name: string): string {
  if (name.length === 0) throw new Error('empty SQL identifier');
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

export type SqlValue = string | number | boolean | null | Date | SqlValue[];

/** Any supported value as a literal: arrays recursively, dates as 'YYYY-MM-DD hh:mm:ss' UTC. */
export function sqlLiteral(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return sqlString(value);
  if (typeof value === 'number') return sqlNumber(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Error('invalid date for SQL');
    return sqlString(value.toISOString().slice(0, 19).replace('T', ' '));
  }
  return `[${value.map(sqlLiteral).join(', ')}]`;
}
