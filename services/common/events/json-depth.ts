// How deep free-form JSON (traits, properties, context, integrations) may nest. Recursive code over
// a value (JSON.stringify, canonical JSON, ClickHouse's parser) overflows its stack somewhere past a
// few thousand levels, so the bound is checked at every entrance, and both checks here are loops.

/** Levels of objects and arrays one free-form field may nest (the field's own object is level 1). */
export const MAX_JSON_DEPTH = 64;

export type JsonPath = (string | number)[];

/**
 * The path of the first object or array nested deeper than `maxDepth` levels inside `value`
 * (`value` itself is level 1 when it is an object or array), or undefined when none is.
 * Iterative: safe on any depth.
 */
export function jsonTooDeepAt(value: unknown, maxDepth: number = MAX_JSON_DEPTH): JsonPath | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const stack: { value: object; path: JsonPath }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: node, path } = stack.pop() as { value: object; path: JsonPath };
    if (path.length >= maxDepth) return path;
    const entries: [string | number, unknown][] = Array.isArray(node)
      ? node.map((v, i) => [i, v])
      : Object.entries(node);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i] as [string | number, unknown];
      if (typeof child === 'object' && child !== null) stack.push({ value: child, path: [...path, key] });
    }
  }
  return undefined;
}

/**
 * Whether a JSON text nests objects and arrays deeper than `maxDepth` levels: one pass over the
 * characters, no parsing, so a record's JSON string can be checked before anything walks it.
 * Brackets inside strings do not count.
 */
export function jsonTextTooDeep(text: string, maxDepth: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return false;
}

/** A path fit for an answer or a log line: each long key cut, so a hostile key cannot bloat it. */
export function shortenedPath(path: JsonPath): JsonPath {
  return path.map((p) => (typeof p === 'string' && p.length > 40 ? `${p.slice(0, 37)}...` : p));
}
