// Validation of definition files before anything is published: every file is parsed and every
// definition checked (its schema, what it refers to, the set-level rules of its kind) against the
// tenant's stored set with the new definitions laid over it. Pure: the CLI does the I/O.
import type { DefinitionKind, DefinitionProblem, JsonPath, StoredDefinition } from './definition-kind';
import { canonicalJson } from '../events/canonical-json';
import { MemoryDefinitionSet, setKey } from './definition-set';

export interface DefinitionFile {
  file: string;
  text: string;
}

export interface FileProblem {
  file: string;
  /** JSONPath inside the file, e.g. `$[1].condition.and[0].op`. */
  path: string;
  reason: string;
}

export interface ValidatedDefinition {
  kind: string;
  id: string;
  body: { kind: string; id: string };
  file: string;
  /** JSONPath of the definition inside its file (`$`, or `$[i]` in an array). */
  at: string;
}

export function jsonPath(path: JsonPath): string {
  return (
    '$' +
    path
      .map((p) =>
        typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][\w-]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`,
      )
      .join('')
  );
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: `not valid JSON: ${(err as Error).message}` };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every problem of every file, and the definitions when there is none. */
export function validateDefinitionFiles(
  files: DefinitionFile[],
  stored: StoredDefinition[],
  kinds: readonly DefinitionKind[],
  now = Date.now(),
): { definitions: ValidatedDefinition[]; problems: FileProblem[] } {
  const problems: FileProblem[] = [];
  const definitions: ValidatedDefinition[] = [];
  const seen = new Map<string, string>();
  const names = kinds.map((k) => k.kind).join(', ');

  for (const { file, text } of files) {
    const parsed = parseJson(text);
    if (!parsed.ok) {
      problems.push({ file, path: '$', reason: parsed.reason });
      continue;
    }
    const items: [JsonPath, unknown][] = Array.isArray(parsed.value)
      ? parsed.value.map((v, i): [JsonPath, unknown] => [[i], v])
      : [[[], parsed.value]];
    if (items.length === 0) problems.push({ file, path: '$', reason: 'the array holds no definition' });
    for (const [base, item] of items) {
      if (!isObject(item)) {
        problems.push({ file, path: jsonPath(base), reason: 'a definition must be a JSON object' });
        continue;
      }
      const kind = kinds.find((k) => k.kind === item.kind);
      if (kind === undefined) {
        problems.push({
          file,
          path: jsonPath([...base, 'kind']),
          reason: `kind must be one of ${names}; got ${JSON.stringify(item.kind)}`,
        });
        continue;
      }
      const result = kind.schema.safeParse(item);
      if (!result.success) {
        for (const issue of result.error.issues) {
          problems.push({
            file,
            path: jsonPath([...base, ...(issue.path as JsonPath)]),
            reason: issue.message,
          });
        }
        continue;
      }
      const body = result.data;
      const key = setKey(body.kind, body.id);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        problems.push({
          file,
          path: jsonPath([...base, 'id']),
          reason: `${body.kind} '${body.id}' is also defined at ${earlier}`,
        });
        continue;
      }
      seen.set(key, `${file} ${jsonPath(base)}`);
      definitions.push({ kind: body.kind, id: body.id, body, file, at: jsonPath(base) });
    }
  }
  if (problems.length > 0) return { definitions: [], problems };

  // Set-level rules see the tenant as it would be after this apply.
  const tenant = stored[0]?.tenant ?? '';
  const set = new MemoryDefinitionSet(stored);
  for (const d of definitions) {
    const before = set.get(d.kind, d.id);
    set.put({
      tenant,
      kind: d.kind,
      id: d.id,
      version: (before?.version ?? 0) + 1,
      body: d.body,
      updatedAt: now,
    });
  }
  for (const d of definitions) {
    const kind = kinds.find((k) => k.kind === d.kind)!;
    const own: DefinitionProblem[] = [];
    for (const ref of kind.references?.(d.body) ?? []) {
      if (set.get(ref.kind, ref.id) === undefined)
        own.push({ path: ref.path, reason: `refers to ${ref.kind} '${ref.id}', which does not exist` });
    }
    own.push(...(kind.check?.(d.body, set) ?? []));
    for (const p of own) {
      const base = d.at === '$' ? '' : d.at.slice(1);
      problems.push({ file: d.file, path: `$${base}${jsonPath(p.path).slice(1)}`, reason: p.reason });
    }
  }
  return problems.length > 0 ? { definitions: [], problems } : { definitions, problems };
}

/** The stored definitions that refer to (kind, id): a delete under them would leave them broken. */
export function referrersOf(
  kind: string,
  id: string,
  stored: StoredDefinition[],
  kinds: readonly DefinitionKind[],
): StoredDefinition[] {
  return stored.filter((d) => {
    const k = kinds.find((x) => x.kind === d.kind);
    // Stored bodies are read through their schema (defaults filled); one this version cannot
    // read refers to nothing it can name.
    const body = k?.schema.safeParse(d.body);
    if (k === undefined || body === undefined || !body.success) return false;
    return (k.references?.(body.data) ?? []).some((r) => r.kind === kind && r.id === id);
  });
}

/** Whether a body differs from the stored one: an unchanged apply publishes nothing new. */
export function sameBody(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
