// Whether ClickHouse refused an insert because of the rows themselves ('data': the same rows fail
// the same way on every attempt, so they are isolated and dead-lettered) or because the server or
// the way to it is unwell ('retry': network, memory, read-only, too many parts, missing table). An
// error we cannot place is retried: wrongly retrying stalls a partition visibly, wrongly
// dead-lettering would drop good rows quietly.

export type InsertErrorClass = 'data' | 'retry';

/** ClickHouse error codes that name a value it could not parse or store. */
export const DATA_ERROR_CODES: ReadonlySet<number> = new Set([
  6, // CANNOT_PARSE_TEXT
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE (e.g. a lone UTF-16 surrogate in a JSON string)
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER (e.g. '-' in an unsigned column)
  117, // INCORRECT_DATA (except an unknown field: see below)
  130, // CANNOT_READ_ARRAY_FROM_TEXT
  131, // TOO_LARGE_STRING_SIZE (FixedString overflow)
  190, // SIZES_OF_ARRAYS_DOESNT_MATCH
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  377, // CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING
  469, // VIOLATED_CONSTRAINT
  691, // UNKNOWN_ELEMENT_OF_ENUM
]);

/**
 * An unknown field means the table is older than the sink (migrations not applied yet): every row
 * would fail, and applying the migration cures it, so it is an outage, not bad data.
 */
const SCHEMA_DRIFT = /Unknown field found/i;

/** The server's numeric code: the client's parsed `code`, else `Code: N` in the message (18.16's format). */
export function clickHouseErrorCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  const message = (err as { message?: unknown }).message;
  if (typeof message !== 'string') return undefined;
  const match = /\bCode: (\d+)/.exec(message);
  return match ? Number(match[1]) : undefined;
}

export function classifyInsertError(err: unknown): InsertErrorClass {
  const code = clickHouseErrorCode(err);
  if (code === undefined || !DATA_ERROR_CODES.has(code)) return 'retry';
  const message = err instanceof Error ? err.message : String(err);
  return SCHEMA_DRIFT.test(message) ? 'retry' : 'data';
}

/** The first line of the server's message, for the DLQ reason header. */
export function insertErrorReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]?.trim() || 'ClickHouse refused the row';
}
