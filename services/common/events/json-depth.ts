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
  // Frames keep their parent and key, so the path is built only for the value that fails.
  interface Frame {
    node: object;
    depth: number;
    parent: Frame | undefined;
    key: string | number;
  }
  const stack: Frame[] = [{ node: value, depth: 1, parent: undefined, key: '' }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    if (frame.depth > maxDepth) {
      const path: JsonPath = [];
      for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent) path.push(f.key);
      return path.reverse();
    }
    const { node } = frame;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) {
        const child: unknown = node[i];
        if (typeof child === 'object' && child !== null)
          stack.push({ node: child, depth: frame.depth + 1, parent: frame, key: i });
      }
    } else {
      const keys = Object.keys(node);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        const child = (node as Record<string, unknown>)[key];
        if (typeof child === 'object' && child !== null)
          stack.push({ node: child, depth: frame.depth + 1, parent: frame, key });
      }
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
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Jump to the closing quote (one not escaped by an odd run of backslashes): most of a JSON
      // text is inside strings, and indexOf skips them natively.
      let end = i;
      for (;;) {
        end = text.indexOf('"', end + 1);
        if (end < 0) return false; // unterminated: not JSON at all, the parser says so
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 0x5c /* \ */) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return false;
}

/** A path fit for an answer or a log line: each long key cut, so a hostile key cannot bloat it. */
export function shortenedPath(path: JsonPath): JsonPath {
  return path.map((p) => (typeof p === 'string' && p.length > 40 ? `${p.slice(0, 37)}...` : p));
}
