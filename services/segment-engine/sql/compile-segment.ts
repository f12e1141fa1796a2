// A segment definition as ClickHouse SQL over events_resolved and profiles: the members on a given
// UTC day, computed the way the engine computes them (value-comparison.ts and evaluate-profile.ts
// hold the same rules). Every value reaches the SQL text through escape-sql.ts. Runs on 18.16 and
// current ClickHouse: no JSON functions (flattened keys/values arrays instead), no query parameters.
import { sqlIdentifier, sqlNumber, sqlString } from '../../common/clickhouse/escape-sql';
import type { Bounds, Scalar, ValueComparison, WhereItem } from '../../common/definitions/kinds/conditions';
import type { ComputedTraitDefinition } from '../../common/definitions/kinds/computed-trait';
import type { Condition, SegmentDefinition } from '../../common/definitions/kinds/segment';
import { DAY_MS } from '../profile-state';
import { instantOf } from '../value-comparison';

const NUMBER_RE = '^-?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?$';
const INSTANT_RE = '^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z)?$';

export interface CompileContext {
  database: string;
  tenant: string;
  /** The instant membership is computed for: windows end on its UTC day. */
  now: number;
  segments: Map<string, SegmentDefinition>;
  traits: Map<string, ComputedTraitDefinition>;
}

/** A flat value read from parallel keys/values arrays: present, and its text. */
interface Flat {
  present: string;
  text: string;
}

function flatOf(keys: string, values: string, name: string): Flat {
  const n = sqlString(name);
  return { present: `has(${keys}, ${n})`, text: `${values}[indexOf(${keys}, ${n})]` };
}

const isNumber = (text: string) =>
  `(match(${text}, ${sqlString(NUMBER_RE)}) AND isFinite(toFloat64OrZero(${text})))`;
const asNumber = (text: string) => `toFloat64OrZero(${text})`;
const asInstant = (text: string) =>
  `if(length(${text}) = 10, concat(${text}, 'T00:00:00'), substring(${text}, 1, 19))`;

const SQL_OPS = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** `text <op> target` under the comparison rules; false when the value does not compare. */
function ordered(text: string, op: keyof typeof SQL_OPS, target: Scalar): string {
  const sqlOp = SQL_OPS[op];
  if (typeof target === 'number')
    return `(${isNumber(text)} AND ${asNumber(text)} ${sqlOp} ${sqlNumber(target)})`;
  const t = typeof target === 'boolean' ? String(target) : target;
  const instant = instantOf(t);
  if (instant !== null)
    return `(match(${text}, ${sqlString(INSTANT_RE)}) AND ${asInstant(text)} ${sqlOp} ${sqlString(instant)})`;
  return `(${text} ${sqlOp} ${sqlString(t)})`;
}

export function compareFlat(v: Flat, c: ValueComparison): string {
  if (c.op === 'exists') return v.present;
  if (c.op === 'not_exists') return `NOT ${v.present}`;
  const list = Array.isArray(c.value) ? c.value : [];
  const one = (Array.isArray(c.value) ? undefined : c.value) as Scalar;
  const test = (() => {
    switch (c.op) {
      case 'eq':
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        return ordered(v.text, c.op, one);
      case 'neq':
        return `NOT ${ordered(v.text, 'eq', one)}`;
      case 'in':
        return `(${list.map((t) => ordered(v.text, 'eq', t)).join(' OR ')})`;
      case 'not_in':
        return `NOT (${list.map((t) => ordered(v.text, 'eq', t)).join(' OR ')})`;
      case 'contains':
        return `(position(${v.text}, ${sqlString(String(one))}) > 0)`;
      case 'starts_with': {
        const s = sqlString(String(one));
        return `(substring(${v.text}, 1, length(${s})) = ${s})`;
      }
    }
  })();
  return `(${v.present} AND ${test})`;
}

function bounds(value: string, b: Bounds): string {
  return (Object.keys(SQL_OPS) as (keyof typeof SQL_OPS)[])
    .filter((op) => b[op] !== undefined)
    .map((op) => `${value} ${SQL_OPS[op]} ${sqlNumber(b[op]!)}`)
    .join(' AND ');
}

function utcDate(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/** Aggregate columns of the events subquery, named a0, a1, ... and shared between uses. */
class Aggregates {
  readonly columns: string[] = [];
  /** Columns computed from the aggregates one level up (18.16 resolves no lambda over a joined column). */
  readonly derived: string[] = [];
  private readonly names = new Map<string, string>();
  constructor(
    private readonly now: number,
    readonly db: string,
    readonly tenant: string,
  ) {}

  add(expression: string): string {
    let name = this.names.get(expression);
    if (name === undefined) {
      name = `a${this.names.size}`;
      this.names.set(expression, name);
      this.columns.push(`${expression} AS ${name}`);
    }
    return name;
  }

  /** A most frequent value: its own subquery, counted per (profile, value), joined by profile. */
  mostFrequent(db: string, tenant: string, filter: string, text: string): string {
    const key = `mf:${filter}:${text}`;
    let name = this.names.get(key);
    if (name === undefined) {
      name = `a${this.names.size}`;
      this.names.set(key, name);
      // Tuples sort by count (negated: highest first), then by value (bytes): the rule of evaluate-profile.ts.
      this.derived.push(
        [
          `SELECT profile_id, tupleElement(arraySort(groupArray((-n, v)))[1], 2) AS ${name}`,
          `FROM (SELECT profile_id, ${text} AS v, count() AS n FROM ${db}.events_resolved`,
          `  WHERE tenant = ${tenant} AND ${filter} GROUP BY profile_id, v)`,
          'GROUP BY profile_id',
        ].join(' '),
      );
    }
    return name;
  }

  filter(event: string, where: WhereItem[] | undefined, withinDays: number | undefined): string {
    const parts = [`event = ${sqlString(event)}`];
    for (const w of where ?? []) parts.push(compareFlat(flatOf('prop_keys', 'prop_values', w.property), w));
    if (withinDays !== undefined) {
      const first = this.now - (withinDays - 1) * DAY_MS;
      parts.push(`toDate(timestamp) >= toDate(${sqlString(utcDate(first))})`);
    }
    return `(${parts.join(' AND ')})`;
  }
}

/** A computed trait: its value expression and whether it has one. */
function traitValue(
  aggs: Aggregates,
  t: Omit<ComputedTraitDefinition, 'kind' | 'id'>,
): { value: string; has: string; numeric: boolean } {
  const f = aggs.filter(t.event, t.where, t.within_days);
  if (t.aggregate === 'count') return { value: aggs.add(`countIf(${f})`), has: '1', numeric: true };
  const p = flatOf('prop_keys', 'prop_values', t.property!);
  const num = `${f} AND ${p.present} AND ${isNumber(p.text)}`;
  const present = `${f} AND ${p.present}`;
  const numeric = aggs.add(`countIf(${num})`);
  const anyPresent = aggs.add(`countIf(${present})`);
  switch (t.aggregate) {
    case 'sum':
      return { value: aggs.add(`sumIf(${asNumber(p.text)}, ${num})`), has: '1', numeric: true };
    case 'avg':
      return {
        value: `(${aggs.add(`sumIf(${asNumber(p.text)}, ${num})`)} / ${numeric})`,
        has: `${numeric} > 0`,
        numeric: true,
      };
    case 'min':
      return { value: aggs.add(`minIf(${asNumber(p.text)}, ${num})`), has: `${numeric} > 0`, numeric: true };
    case 'max':
      return { value: aggs.add(`maxIf(${asNumber(p.text)}, ${num})`), has: `${numeric} > 0`, numeric: true };
    case 'first':
      return {
        value: aggs.add(`argMinIf(${p.text}, (toUInt32(timestamp), message_id), ${present})`),
        has: `${anyPresent} > 0`,
        numeric: false,
      };
    case 'last':
      return {
        value: aggs.add(`argMaxIf(${p.text}, (toUInt32(timestamp), message_id), ${present})`),
        has: `${anyPresent} > 0`,
        numeric: false,
      };
    case 'unique_count':
      return { value: aggs.add(`uniqExactIf(${p.text}, ${present})`), has: '1', numeric: true };
    case 'most_frequent': {
      return {
        value: aggs.mostFrequent(aggs.db, aggs.tenant, `${f} AND ${p.present}`, p.text),
        has: `${anyPresent} > 0`,
        numeric: false,
      };
    }
  }
}

function conditionSql(c: Condition, ctx: CompileContext, aggs: Aggregates, depth = 0): string {
  if (depth > 64) throw new Error('segment conditions nest too deep (a cycle?)');
  const sub = (x: Condition) => conditionSql(x, ctx, aggs, depth + 1);
  if ('and' in c) return `(${c.and.map(sub).join(' AND ')})`;
  if ('or' in c) return `(${c.or.map(sub).join(' OR ')})`;
  if ('not' in c) return `(NOT ${sub(c.not)})`;
  if ('trait' in c) return compareFlat(flatOf('trait_keys', 'trait_values', c.trait), c);
  if ('segment' in c) {
    const s = ctx.segments.get(c.segment);
    if (!s) throw new Error(`segment '${c.segment}' is not defined for tenant ${ctx.tenant}`);
    return sub(s.condition);
  }
  if ('computed' in c) {
    const t = ctx.traits.get(c.computed);
    if (!t) throw new Error(`computed trait '${c.computed}' is not defined for tenant ${ctx.tenant}`);
    const v = traitValue(aggs, t);
    const text = v.numeric ? `toString(${v.value})` : v.value;
    // Numbers compare as Float64 directly; text through the flat-value rules.
    const flat: Flat = { present: `(${v.has})`, text };
    if (
      v.numeric &&
      (c.op === 'eq' || c.op === 'gt' || c.op === 'gte' || c.op === 'lt' || c.op === 'lte') &&
      typeof c.value === 'number'
    )
      return `(${v.has} AND ${v.value} ${SQL_OPS[c.op]} ${sqlNumber(c.value)})`;
    return compareFlat(flat, c);
  }
  const agg = c.sum ? 'sum' : c.avg ? 'avg' : c.min ? 'min' : c.max ? 'max' : 'count';
  if (agg === 'count') {
    const n = traitValue(aggs, {
      event: c.event,
      where: c.where,
      within_days: c.within_days,
      aggregate: 'count',
    });
    return `(${bounds(n.value, c.count ?? { gte: 1 })})`;
  }
  const b = (c.sum ?? c.avg ?? c.min ?? c.max)!;
  const v = traitValue(aggs, {
    event: c.event,
    where: c.where,
    within_days: c.within_days,
    aggregate: agg,
    property: b.property,
  });
  return `(${v.has} AND ${bounds(v.value, b)})`;
}

/** SELECT profile_id of the segment's members at `ctx.now`, one row per member. */
export function compileSegment(segment: SegmentDefinition, ctx: CompileContext): string {
  const db = sqlIdentifier(ctx.database);
  const tenant = sqlString(ctx.tenant);
  const aggs = new Aggregates(ctx.now, db, tenant);
  const where = conditionSql(segment.condition, ctx, aggs);
  const columns = aggs.columns.length > 0 ? aggs.columns : ['count() AS a0'];
  // 18.16 takes one JOIN per SELECT: each most-frequent subquery wraps the events subquery once more.
  let eventsSql = `SELECT profile_id, ${columns.join(', ')} FROM ${db}.events_resolved WHERE tenant = ${tenant} GROUP BY profile_id`;
  aggs.derived.forEach((d, i) => {
    eventsSql = `SELECT * FROM (${eventsSql}) AS j${i} ANY LEFT JOIN (${d}) AS m${i} USING (profile_id)`;
  });
  return [
    'SELECT profile_id',
    'FROM (',
    '  SELECT profile_id, trait_keys, trait_values',
    `  FROM ${db}.profiles FINAL`,
    `  WHERE tenant = ${tenant} AND merged_into = '' AND is_deleted = 0`,
    ') AS p',
    'ANY LEFT JOIN (',
    eventsSql,
    ') AS e USING (profile_id)',
    `WHERE ${where}`,
    'ORDER BY profile_id',
  ].join('\n');
}
