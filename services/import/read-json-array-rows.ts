// A JSON array of messages, streamed: a byte scanner finds where each top-level element starts and
// ends (tracking strings, escapes and nesting), so only one element is in memory at a time; each
// element is then JSON.parse'd. The row number is the element's position (1-based).
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { ImportFileError, MAX_ROW_BYTES, NOT_UTF8, rawOfBytes, type SourceRow } from './source-row';

const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

function elementRow(bytes: Buffer, row: number, line: number): SourceRow {
  if (!isUtf8(bytes)) return { kind: 'error', row, line, column: null, ...NOT_UTF8, ...rawOfBytes(bytes) };
  const raw = bytes.toString('utf8').trim();
  if (raw === '')
    return {
      kind: 'error',
      row,
      line,
      column: null,
      code: 'invalid_json',
      reason: 'empty array element',
      raw,
    };
  try {
    return { kind: 'value', row, line, value: JSON.parse(raw), raw };
  } catch (err) {
    return {
      kind: 'error',
      row,
      line,
      column: null,
      code: 'invalid_json',
      reason: `not JSON: ${(err as Error).message}`,
      raw,
    };
  }
}

export async function* readJsonArrayRows(bytes: Readable, fileName: string): AsyncGenerator<SourceRow> {
  let state: 'start' | 'elements' | 'end' = 'start';
  let line = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let row = 0;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let tooLarge = false;
  let elementLine = 1;
  let sawContent = false;

  /** After a comma, an element must follow: `[1,]` and `[1,,2]` have an empty one. */
  let afterComma = false;

  function markContent(): void {
    if (sawContent) return;
    sawContent = true;
    elementLine = line;
  }

  function* endElement(last: Buffer, closing: boolean): Generator<SourceRow> {
    const empty = !tooLarge && !sawContent;
    const startLine = elementLine;
    const whole = empty || tooLarge ? Buffer.alloc(0) : Buffer.concat([...parts, last]);
    parts = [];
    partBytes = 0;
    sawContent = false;
    elementLine = line;
    // `[]` has no element at all.
    if (closing && empty && !afterComma) return;
    row += 1;
    if (tooLarge) {
      tooLarge = false;
      yield {
        kind: 'error',
        row,
        line: startLine,
        column: null,
        code: 'row_too_large',
        reason: `array element larger than ${MAX_ROW_BYTES} bytes`,
        raw: '',
      };
    } else if (empty)
      yield {
        kind: 'error',
        row,
        line: startLine,
        column: null,
        code: 'invalid_json',
        reason: 'empty array element (two commas, or a comma before ])',
        raw: '',
      };
    else yield elementRow(whole, row, startLine);
  }

  try {
    for await (const chunk of bytes as AsyncIterable<Buffer>) {
      let start = 0;
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i] as number;
        if (b === NEWLINE) line += 1;
        if (state === 'start') {
          if (isSpace(b)) continue;
          if (b !== OPEN_ARRAY)
            throw new ImportFileError(
              `${fileName} is not a JSON array (it starts with ${JSON.stringify(String.fromCharCode(b))}); use --format ndjson for one message per line`,
            );
          state = 'elements';
          start = i + 1;
          elementLine = line;
          continue;
        }
        if (state === 'end') {
          if (isSpace(b)) continue;
          throw new ImportFileError(`${fileName}: text after the end of the JSON array on line ${line}`);
        }
        if (inString) {
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = true;
          else if (b === QUOTE) inString = false;
          continue;
        }
        if (b === QUOTE) {
          inString = true;
          markContent();
        } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
          depth += 1;
          markContent();
        } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
          if (depth === 0 && b === CLOSE_ARRAY) {
            yield* endElement(tooLarge ? Buffer.alloc(0) : chunk.subarray(start, i), true);
            state = 'end';
            continue;
          }
          depth -= 1;
        } else if (b === COMMA && depth === 0) {
          yield* endElement(tooLarge ? Buffer.alloc(0) : chunk.subarray(start, i), false);
          afterComma = true;
          start = i + 1;
          continue;
        } else if (!isSpace(b)) markContent();
      }
      if (state === 'elements' && !tooLarge) {
        const rest = chunk.subarray(start);
        partBytes += rest.length;
        if (partBytes > MAX_ROW_BYTES) {
          tooLarge = true;
          parts = [];
        } else if (rest.length > 0) parts.push(Buffer.from(rest));
      }
    }
    if (state === 'start') throw new ImportFileError(`${fileName} is empty: expected a JSON array`);
    if (state === 'elements') {
      row += 1;
      yield {
        kind: 'error',
        row,
        line: elementLine,
        column: null,
        code: 'unclosed_array',
        reason:
          'the file ends inside the JSON array (truncated?): this element and anything after it were not read',
        ...rawOfBytes(Buffer.concat(parts)),
      };
    }
  } finally {
    bytes.destroy();
  }
}
