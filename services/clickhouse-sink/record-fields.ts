// Reads typed fields out of a decoded Avro record. The codec already validated the shape against
// the schema, so a mismatch here means the schema and this code drifted: a poison record, not a retry.
import { PoisonMessageError } from '../common/kafka/consumed-message';

export type DecodedRecord = Record<string, unknown>;

export function asRecord(value: unknown, what: string): DecodedRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PoisonMessageError(`${what}: expected a record`, 'SinkMappingError');
  }
  return value as DecodedRecord;
}

export function str(record: DecodedRecord, field: string): string {
  const value = record[field];
  if (typeof value !== 'string') {
    throw new PoisonMessageError(`field ${field}: expected a string`, 'SinkMappingError');
  }
  return value;
}

/** Optional strings become '' because the tables use plain String columns (no Nullable on hot paths). */
export function optStr(record: DecodedRecord, field: string): string {
  const value = record[field];
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') {
    throw new PoisonMessageError(`field ${field}: expected a string or null`, 'SinkMappingError');
  }
  return value;
}

export function num(record: DecodedRecord, field: string): number {
  const value = record[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new PoisonMessageError(`field ${field}: expected a number`, 'SinkMappingError');
  }
  return value;
}

export function strArray(record: DecodedRecord, field: string): string[] {
  const value = record[field] ?? [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new PoisonMessageError(`field ${field}: expected an array of strings`, 'SinkMappingError');
  }
  return value as string[];
}
