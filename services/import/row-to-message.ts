// One CSV row -> a Segment message (JSON, as an SDK would send it), before the collector's checks.
// Pure. Empty cells are left out, so a blank cell never overwrites a trait with ''.
import { createHash } from 'node:crypto';
import { isJsonObject, setOwn, type JsonObject } from '../common/events/json-object';
import type { ColumnPlan, CompiledMapping, ValueKind } from './column-mapping';

export interface RowProblem {
  /** The column at fault, or null for the row as a whole. */
  column: string | null;
  code: string;
  reason: string;
}

export type RowMessage = { ok: true; message: JsonObject } | { ok: false; problem: RowProblem };

const TRUE = new Set(['true', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'no', 'n', '0']);

function cellValue(
  text: string,
  kind: ValueKind,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  switch (kind) {
    case 'string':
      return { ok: true, value: text };
    case 'number': {
      const n = Number(text.trim());
      return Number.isFinite(n)
        ? { ok: true, value: n }
        : { ok: false, reason: `${JSON.stringify(text)} is not a number` };
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (TRUE.has(t)) return { ok: true, value: true };
      if (FALSE.has(t)) return { ok: true, value: false };
      return { ok: false, reason: `${JSON.stringify(text)} is not a boolean (true/false, yes/no, 1/0)` };
    }
    case 'json':
      try {
        return { ok: true, value: JSON.parse(text) };
      } catch {
        return { ok: false, reason: `${JSON.stringify(text)} is not JSON` };
      }
  }
}

function setPath(message: JsonObject, path: readonly string[], value: unknown): void {
  let node = message;
  for (const key of path.slice(0, -1)) {
    // Own keys only: reading "__proto__" would walk into Object.prototype.
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (isJsonObject(next)) node = next;
    else {
      const child: JsonObject = {};
      setOwn(node, key, child);
      node = child;
    }
  }
  setOwn(node, path[path.length - 1] as string, value);
}

/**
 * The anonymousId of a row that names a person only by email, phone or an external id: Segment
 * requires userId or anonymousId, and a CRM export often has neither. Derived from the tenant and
 * the first such identifier (trimmed, lower-cased), so every import of one person gives the same
 * id and a profile does not collect a new anonymous_id per import.
 */
export function derivedAnonymousId(tenant: string, type: string, value: string): string {
  const identifier = `${type}:${value.trim().toLowerCase()}`;
  return `import-${createHash('sha256').update(`${tenant}\n${identifier}`).digest('hex').slice(0, 32)}`;
}

function personIdentifier(message: JsonObject): [type: string, value: string] | undefined {
  const traits = [message.traits, isJsonObject(message.context) ? message.context.traits : undefined];
  for (const source of traits) {
    if (!isJsonObject(source)) continue;
    for (const type of ['email', 'phone'])
      if (typeof source[type] === 'string') return [type, source[type] as string];
  }
  const ids = isJsonObject(message.context) ? message.context.externalIds : undefined;
  const first = Array.isArray(ids) ? (ids[0] as { id: string; type: string } | undefined) : undefined;
  return first === undefined ? undefined : [first.type, first.id];
}

export function rowToMessage(cells: readonly string[], mapping: CompiledMapping, tenant: string): RowMessage {
  const { columns } = mapping;
  if (cells.length !== columns.length)
    return {
      ok: false,
      problem: {
        column: null,
        code: 'wrong_column_count',
        reason: `expected ${columns.length} columns (as in the header), got ${cells.length}`,
      },
    };
  const message: JsonObject = { type: mapping.type };
  const externalIds: JsonObject[] = [];
  for (let i = 0; i < columns.length; i++) {
    const text = cells[i] as string;
    if (text === '') continue;
    const { column, target } = columns[i] as ColumnPlan;
    if (target.kind === 'ignore') continue;
    if (target.kind === 'externalId') {
      externalIds.push({ id: text, type: target.type, collection: 'users', encoding: 'none' });
      continue;
    }
    const value = cellValue(text, target.valueKind);
    if (!value.ok) return { ok: false, problem: { column, code: 'invalid_value', reason: value.reason } };
    setPath(message, target.path, value.value);
  }
  if (externalIds.length > 0) setPath(message, ['context', 'externalIds'], externalIds);
  if (message.userId === undefined && message.anonymousId === undefined) {
    const identifier = personIdentifier(message);
    if (identifier !== undefined) message.anonymousId = derivedAnonymousId(tenant, ...identifier);
  }
  return { ok: true, message };
}

/**
 * The column a collector issue points at: the one whose field is the issue's field, inside it, or
 * holds it (`traits.address` for an issue on `traits.address.city`); null when none does.
 */
export function columnOfField(
  field: string,
  columns: readonly { column: string; field: string }[],
): string | null {
  if (field === '') return null;
  for (const c of columns)
    if (c.field === field || field.startsWith(`${c.field}.`) || c.field.startsWith(`${field}.`))
      return c.column;
  return null;
}
