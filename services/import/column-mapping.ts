// Which Segment field each CSV column fills: the documented defaults (docs/import.md, "Column
// mapping") and `--map column=field` overrides, compiled once per file header. Pure.

export const IMPORT_TYPES = ['identify', 'track', 'group'] as const;
export type ImportType = (typeof IMPORT_TYPES)[number];

/** How a cell's text becomes a JSON value; cells are strings unless a `--map` target says `:kind`. */
export const VALUE_KINDS = ['string', 'number', 'boolean', 'json'] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];

export type ColumnTarget =
  /** A path in the message: ['userId'], ['traits', 'address', 'city'], ['context', 'traits', 'email']. */
  | { kind: 'path'; path: string[]; valueKind: ValueKind }
  /** One entry of context.externalIds: { id, type, collection: 'users', encoding: 'none' }. */
  | { kind: 'externalId'; type: string }
  | { kind: 'ignore' };

export interface ColumnPlan {
  /** The header cell as written. */
  column: string;
  target: ColumnTarget;
}

export interface CompiledMapping {
  type: ImportType;
  columns: ColumnPlan[];
}

/** The header or a `--map` cannot work: the import does not start (exit 1). */
export class MappingError extends Error {
  override name = 'MappingError';
}

/** Top-level message fields a column may fill directly. */
const TOP_LEVEL_FIELDS = ['userId', 'anonymousId', 'groupId', 'event', 'timestamp'] as const;
const OBJECT_FIELDS = ['traits', 'properties', 'context'] as const;
const EXTERNAL_ID_PREFIX = 'external_id.';
/** The identifier types of external ids, as the resolver reads `context.externalIds[].type`. */
const EXTERNAL_ID_TYPE = /^[a-z][a-z0-9_]{0,63}$/;

/** "User ID", "user_id", "userId" and "USERID" are one name. */
function looseName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** `a.b.c` -> ['a', 'b', 'c']; a name with an empty segment ("a..b", "total.") stays one key. */
function dottedPath(name: string): string[] {
  const parts = name.split('.');
  return parts.some((p) => p === '') ? [name] : parts;
}

/** email and phone are identifiers: on an identify they are traits, otherwise the person's context traits. */
function personTraitPath(type: ImportType, trait: string): string[] {
  return type === 'identify' ? ['traits', trait] : ['context', 'traits', trait];
}

function stringPath(path: string[]): ColumnTarget {
  return { kind: 'path', path, valueKind: 'string' };
}

/** The target of a column when no `--map` names it. */
export function defaultTarget(column: string, type: ImportType): ColumnTarget {
  const name = column.trim();
  if (name.toLowerCase().startsWith(EXTERNAL_ID_PREFIX)) return externalIdTarget(name);
  switch (looseName(name)) {
    case 'userid':
      return stringPath(['userId']);
    case 'anonymousid':
      return stringPath(['anonymousId']);
    case 'email':
    case 'emailaddress':
      return stringPath(personTraitPath(type, 'email'));
    case 'phone':
    case 'phonenumber':
      return stringPath(personTraitPath(type, 'phone'));
    case 'timestamp':
      return stringPath(['timestamp']);
    case 'event':
      if (type === 'track') return stringPath(['event']);
      break;
    case 'groupid':
      if (type === 'group') return stringPath(['groupId']);
      break;
  }
  return stringPath([type === 'track' ? 'properties' : 'traits', ...dottedPath(name)]);
}

function externalIdTarget(field: string): ColumnTarget {
  const type = field.slice(EXTERNAL_ID_PREFIX.length).toLowerCase();
  if (!EXTERNAL_ID_TYPE.test(type))
    throw new MappingError(
      `external id type ${JSON.stringify(type)} in ${JSON.stringify(field)}: use lower-case letters, digits and _`,
    );
  return { kind: 'externalId', type };
}

/**
 * A `--map` field: `userId`, `anonymousId`, `groupId`, `event`, `timestamp`, `email`, `phone`,
 * `traits.<path>`, `properties.<path>`, `context.<path>`, `external_id.<type>`, or `-` to skip the
 * column; a path may end in `:number`, `:boolean`, `:json` or `:string`.
 */
export function parseTarget(field: string, type: ImportType): ColumnTarget {
  const spec = field.trim();
  if (spec === '-') return { kind: 'ignore' };
  if (spec.startsWith(EXTERNAL_ID_PREFIX)) return externalIdTarget(spec);
  const colon = spec.lastIndexOf(':');
  let name = spec;
  let valueKind: ValueKind = 'string';
  if (colon > 0) {
    const kind = spec.slice(colon + 1);
    if (!(VALUE_KINDS as readonly string[]).includes(kind))
      throw new MappingError(
        `unknown value kind ':${kind}' in ${JSON.stringify(field)} (${VALUE_KINDS.join(', ')})`,
      );
    valueKind = kind as ValueKind;
    name = spec.slice(0, colon);
  }
  if (name === 'email' || name === 'phone')
    return { kind: 'path', path: personTraitPath(type, name), valueKind };
  if ((TOP_LEVEL_FIELDS as readonly string[]).includes(name)) {
    if (valueKind !== 'string')
      throw new MappingError(`${name} is an id or a timestamp: it takes no ':${valueKind}'`);
    return stringPath([name]);
  }
  const path = name.split('.');
  if (
    path.length >= 2 &&
    (OBJECT_FIELDS as readonly string[]).includes(path[0] as string) &&
    !path.includes('')
  )
    return { kind: 'path', path, valueKind };
  throw new MappingError(
    `cannot map to ${JSON.stringify(field)}: use ${TOP_LEVEL_FIELDS.join(', ')}, email, phone, ` +
      'traits.<path>, properties.<path>, context.<path>, external_id.<type> or - (skip)',
  );
}

/** `column=field` (the last '=' splits, so a column name may hold one). */
export function parseMapOption(option: string): { column: string; field: string } {
  const eq = option.lastIndexOf('=');
  if (eq <= 0 || eq === option.length - 1)
    throw new MappingError(`--map ${JSON.stringify(option)}: expected column=field`);
  return { column: option.slice(0, eq).trim(), field: option.slice(eq + 1).trim() };
}

function describe(target: ColumnTarget): string {
  if (target.kind === 'path') return target.path.join('.');
  if (target.kind === 'externalId') return `${EXTERNAL_ID_PREFIX}${target.type}`;
  return '-';
}

/** The path a column's issues are reported under (the collector's issue `field`). */
export function targetField(target: ColumnTarget): string {
  return target.kind === 'externalId' ? 'context.externalIds' : describe(target);
}

/**
 * Compiles a header: every column gets its target; two columns writing one field, or one writing
 * inside another's value (`address` and `address.city`), are refused here rather than per row.
 */
export function compileMapping(
  header: readonly string[],
  type: ImportType,
  maps: readonly string[],
): CompiledMapping {
  const overrides = new Map<string, string>();
  for (const option of maps) {
    const { column, field } = parseMapOption(option);
    overrides.set(column, field);
  }
  const seen = new Set<string>();
  const used = new Set<string>();
  const columns = header.map((raw): ColumnPlan => {
    const column = raw.trim();
    // Spreadsheets export trailing separators as unnamed columns; with no name there is no field.
    if (column === '' && !overrides.has('')) return { column, target: { kind: 'ignore' } };
    if (seen.has(column))
      throw new MappingError(`column ${JSON.stringify(column)} appears twice in the header`);
    seen.add(column);
    // A --map names a column as written; failing that, ignoring case.
    let key: string | undefined = overrides.has(column) ? column : undefined;
    key ??= [...overrides.keys()].find((k) => k.toLowerCase() === column.toLowerCase());
    if (key !== undefined) used.add(key);
    const target =
      key !== undefined ? parseTarget(overrides.get(key) as string, type) : defaultTarget(column, type);
    return { column, target };
  });
  const unknown = [...overrides.keys()].filter((k) => !used.has(k));
  if (unknown.length > 0)
    throw new MappingError(
      `--map names ${unknown.map((k) => JSON.stringify(k)).join(', ')}, not in the header (${header.map((h) => JSON.stringify(h.trim())).join(', ')})`,
    );
  checkDisjoint(columns);
  return { type, columns };
}

function checkDisjoint(columns: readonly ColumnPlan[]): void {
  const owners = new Map<string, string>();
  for (const { column, target } of columns) {
    if (target.kind === 'ignore') continue;
    const field = describe(target);
    const other = owners.get(field);
    if (other !== undefined)
      throw new MappingError(
        `columns ${JSON.stringify(other)} and ${JSON.stringify(column)} both map to ${field}: ` +
          `send one elsewhere with --map (or skip it: --map "${column}=-")`,
      );
    owners.set(field, column);
  }
  const paths = columns.flatMap((c) =>
    c.target.kind === 'path' ? [{ column: c.column, path: c.target.path }] : [],
  );
  for (const a of paths)
    for (const b of paths) {
      if (a.path.length >= b.path.length) continue;
      if (a.path.every((p, i) => b.path[i] === p))
        throw new MappingError(
          `column ${JSON.stringify(b.column)} (${b.path.join('.')}) would write inside column ${JSON.stringify(a.column)} (${a.path.join('.')}): map one of them elsewhere`,
        );
    }
  // external ids live in context.externalIds; a column writing that path would clash.
  if (columns.some((c) => c.target.kind === 'externalId')) {
    const clash = paths.find(
      (p) => p.path[0] === 'context' && (p.path.length === 1 || p.path[1] === 'externalIds'),
    );
    if (clash)
      throw new MappingError(
        `column ${JSON.stringify(clash.column)} writes context.externalIds, which external_id.* columns fill`,
      );
  }
}
