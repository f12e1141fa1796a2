// CSV (RFC 4180) rows from a byte stream with csv-parse: quoted fields, embedded newlines and quotes,
// CRLF / LF / CR. Text is parsed as latin1 (one char per byte, so no byte is lost to decoding)
// and each field checked and decoded as UTF-8 here: a row with bytes that are not UTF-8 becomes a
// row error naming its column instead of silently holding U+FFFD.
import { isUtf8 } from 'node:buffer';
import { Transform, type Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import {
  ImportFileError,
  MAX_ROW_BYTES,
  NOT_UTF8,
  rawOfBytes,
  type RowError,
  type SourceRow,
} from './source-row';

const NON_ASCII = /[\x80-\xff]/;
const LINE_BREAK = /\r\n|\r|\n/g;

function latin1Bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** csv-parse's raw text keeps part of the record delimiter; the errors file wants the row alone. */
function trimDelimiter(raw: string): string {
  // A loop rather than a regex: this runs on every row.
  let end = raw.length;
  for (let c = raw.charCodeAt(end - 1); c === 10 || c === 13; c = raw.charCodeAt(end - 1)) end -= 1;
  return end === raw.length ? raw : raw.slice(0, end);
}

function lineBreaks(text: string): number {
  // Most rows hold no line break: no match array for them.
  if (text.indexOf('\n') < 0 && text.indexOf('\r') < 0) return 0;
  return text.match(LINE_BREAK)?.length ?? 0;
}

/** Counts bytes on their way into the parser; `reset` is called whenever a row comes out. */
function rowSizeGuard(limit: number): Transform & { reset(): void } {
  let since = 0;
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      since += chunk.length;
      if (since > limit) done(new RowTooLargeError());
      else done(null, chunk);
    },
  }) as Transform & { reset(): void };
  guard.reset = () => {
    since = 0;
  };
  return guard;
}

class RowTooLargeError extends Error {
  override name = 'RowTooLargeError';
}

export async function* readCsvRows(bytes: Readable): AsyncGenerator<SourceRow> {
  let row = 0;
  let lastLine = 0;
  // Rows csv-parse could not read, reported between the records they came between.
  const skipped: { afterRecords: number; line: number; code: string; reason: string; raw: string }[] = [];
  const parser = parse({
    encoding: 'latin1',
    raw: true,
    info: true,
    relax_column_count: true,
    // A quote inside an unquoted field, or text after a closing quote, is kept as written: strict
    // parsing loses its place there and swallows the rows after it.
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err: CsvError | undefined, raw: string | undefined) => {
      skipped.push({
        afterRecords: parser.info.records,
        line: (err as { lines?: number } | undefined)?.lines ?? parser.info.lines,
        code: err?.code === 'CSV_QUOTE_NOT_CLOSED' ? 'unclosed_quote' : 'unreadable_csv',
        reason:
          err?.code === 'CSV_QUOTE_NOT_CLOSED'
            ? 'a quoted field is not closed: the rest of the file is this one row'
            : (err?.message ?? 'unreadable CSV'),
        raw: raw ?? '',
      });
    },
  });
  const guard = rowSizeGuard(MAX_ROW_BYTES);
  bytes.on('error', (err) => guard.destroy(err));
  guard.on('error', (err) => parser.destroy(err));
  bytes.pipe(guard).pipe(parser);

  function* skippedBefore(records: number): Generator<RowError> {
    while (skipped.length > 0 && (skipped[0] as { afterRecords: number }).afterRecords < records) {
      const s = skipped.shift() as (typeof skipped)[number];
      row += 1;
      const startLine = lastLine + 1;
      lastLine = s.line;
      yield {
        kind: 'error',
        row,
        line: startLine,
        column: null,
        code: s.code,
        reason: s.reason,
        ...rawOfBytes(latin1Bytes(trimDelimiter(s.raw))),
      };
    }
  }

  let header: string[] | undefined;
  try {
    for await (const item of parser as AsyncIterable<{
      record: string[];
      raw: string;
      info: { records: number; lines: number };
    }>) {
      guard.reset();
      if (skipped.length > 0) yield* skippedBefore(item.info.records);
      row += 1;
      const raw = trimDelimiter(item.raw);
      const line = item.info.lines - lineBreaks(raw);
      lastLine = item.info.lines;
      let badColumn: number | undefined;
      // An ASCII row (the usual case) needs no look at each field: its cells are its text.
      const cells = !NON_ASCII.test(raw)
        ? item.record
        : item.record.map((field, i) => {
            if (!NON_ASCII.test(field)) return field;
            const fieldBytes = latin1Bytes(field);
            if (!isUtf8(fieldBytes)) badColumn ??= i;
            return fieldBytes.toString('utf8');
          });
      if (header === undefined) {
        if (badColumn !== undefined)
          throw new ImportFileError(
            `the header (line ${line}) holds bytes that are not UTF-8: save the file as UTF-8`,
          );
        header = cells;
        yield { kind: 'header', cells };
        continue;
      }
      if (badColumn !== undefined) {
        yield {
          kind: 'error',
          row,
          line,
          column: header[badColumn]?.trim() ?? null,
          ...NOT_UTF8,
          ...rawOfBytes(latin1Bytes(raw)),
        };
        continue;
      }
      yield { kind: 'cells', row, line, cells, rawLatin1: raw };
    }
  } catch (err) {
    if (!(err instanceof RowTooLargeError)) throw err;
    row += 1;
    yield {
      kind: 'error',
      row,
      line: lastLine + 1,
      column: null,
      code: 'row_too_large',
      reason: `no row ended within ${MAX_ROW_BYTES} bytes from here (a quoted field not closed?): the rest of the file was not read`,
      raw: '',
    };
    return;
  } finally {
    // A reader stopped early (an import that fails) must not leave the file open.
    bytes.destroy();
    guard.destroy();
  }
  yield* skippedBefore(Number.POSITIVE_INFINITY);
}
