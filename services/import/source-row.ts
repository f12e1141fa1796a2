// What the file readers yield, whatever the format: a CSV header, a row of cells, a parsed JSON
// value, or a row that cannot be read (with its raw text, and its bytes when they are not UTF-8).
import { isUtf8 } from 'node:buffer';

/** A row (a CSV record, an NDJSON line, a JSON array element) may be at most this large. */
export const MAX_ROW_BYTES = 8 * 1024 * 1024;

export interface RowError {
  kind: 'error';
  row: number;
  /** The line of the file where the row starts (1-based). */
  line: number;
  column: string | null;
  code: string;
  reason: string;
  raw: string;
  /** The row's exact bytes when they are not valid UTF-8 (`raw` then shows U+FFFD for them). */
  rawBase64?: string;
}

export type SourceRow =
  | { kind: 'header'; cells: string[] }
  /** `rawLatin1`: the row's bytes one char per byte (decoded only for the errors file; see rawOfLatin1). */
  | { kind: 'cells'; row: number; line: number; cells: string[]; rawLatin1: string }
  | { kind: 'value'; row: number; line: number; value: unknown; raw: string }
  | RowError;

/** The file cannot be read as its format at all (e.g. a .json that is not an array): exit 1. */
export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

/** Raw text for the errors file: the bytes as UTF-8, plus base64 of them when they are not UTF-8. */
export function rawOfBytes(bytes: Buffer): { raw: string; rawBase64?: string } {
  if (isUtf8(bytes)) return { raw: bytes.toString('utf8') };
  return { raw: bytes.toString('utf8'), rawBase64: bytes.toString('base64') };
}

/** The raw text of a CSV row whose cells were all UTF-8 (so its bytes are too). */
export function rawOfLatin1(rawLatin1: string): string {
  return Buffer.from(rawLatin1, 'latin1').toString('utf8');
}

export const NOT_UTF8 = { code: 'invalid_utf8', reason: 'bytes that are not UTF-8 (save the file as UTF-8)' };
