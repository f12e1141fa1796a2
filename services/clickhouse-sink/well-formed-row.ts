// Rows leave the sink with well-formed strings only. A lone UTF-16 surrogate (a JSON "\ud800" that
// reached a property value) is serialised by JSON.stringify as an escape ClickHouse refuses
// (Code: 25, missing second part of surrogate pair), and it would refuse it on every retry.
// Replacing it with U+FFFD is what every UTF-8 encoder does with it anyway (Kafka, Avro).
import type { Row } from './clickhouse-batcher';

/** String.prototype.toWellFormed (ES2024; our lib target is ES2023). */
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

export function wellFormedString(value: string): string {
  const s = value as unknown as WellFormed;
  return s.isWellFormed() ? value : s.toWellFormed();
}

/** The same value (same object) when nothing needed replacing, so clean rows are not copied. */
function wellFormedValue(value: unknown): unknown {
  if (typeof value === 'string') return wellFormedString(value);
  if (!Array.isArray(value)) return value;
  const fixed = value.map(wellFormedValue);
  return fixed.every((v, i) => v === value[i]) ? value : fixed;
}

/** The row with every string and string-array value well-formed. */
export function wellFormedRow<R extends Row>(row: R): R {
  let copy: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(row)) {
    const fixed = wellFormedValue(value);
    if (fixed === value) continue;
    copy ??= { ...(row as Record<string, unknown>) };
    copy[key] = fixed;
  }
  return (copy as R | undefined) ?? row;
}
