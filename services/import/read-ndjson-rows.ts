// NDJSON rows: one JSON value per line (LF or CRLF), blank lines skipped; the row number is the
// line number. Lines are split on bytes so each one is checked as UTF-8 before it is decoded.
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { MAX_ROW_BYTES, NOT_UTF8, rawOfBytes, type SourceRow } from './source-row';

const NEWLINE = 0x0a;
const BLANK = /^\s*$/;

function lineRow(bytes: Buffer, line: number): SourceRow {
  const text = bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, -1) : bytes;
  if (!isUtf8(text))
    return { kind: 'error', row: line, line, column: null, ...NOT_UTF8, ...rawOfBytes(text) };
  const raw = text.toString('utf8');
  try {
    return { kind: 'value', row: line, line, value: JSON.parse(raw), raw };
  } catch (err) {
    return {
      kind: 'error',
      row: line,
      line,
      column: null,
      code: 'invalid_json',
      reason: `not JSON: ${(err as Error).message}`,
      raw,
    };
  }
}

export async function* readNdjsonRows(bytes: Readable): AsyncGenerator<SourceRow> {
  let line = 0;
  let parts: Buffer[] = [];
  let partBytes = 0;
  /** The current line passed MAX_ROW_BYTES: its bytes are dropped up to its newline. */
  let tooLong = false;

  function* finish(last: Buffer): Generator<SourceRow> {
    line += 1;
    if (tooLong) {
      tooLong = false;
      yield {
        kind: 'error',
        row: line,
        line,
        column: null,
        code: 'row_too_large',
        reason: `line longer than ${MAX_ROW_BYTES} bytes`,
        raw: '',
      };
      return;
    }
    const whole = parts.length === 0 ? last : Buffer.concat([...parts, last]);
    parts = [];
    partBytes = 0;
    if (BLANK.test(whole.toString('latin1'))) return;
    yield lineRow(whole, line);
  }

  try {
    for await (const chunk of bytes as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
        yield* finish(chunk.subarray(start, nl));
        start = nl + 1;
      }
      const rest = chunk.subarray(start);
      if (tooLong || rest.length === 0) continue;
      partBytes += rest.length;
      if (partBytes > MAX_ROW_BYTES) {
        tooLong = true;
        parts = [];
        partBytes = 0;
      } else parts.push(rest);
    }
    if (parts.length > 0 || tooLong) yield* finish(Buffer.alloc(0));
  } finally {
    bytes.destroy();
  }
}
