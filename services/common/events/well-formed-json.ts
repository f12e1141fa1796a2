// Lone UTF-16 surrogates ("\ud800" without its pair) are legal in JSON text and in JS strings but
// not in UTF-8: ClickHouse refuses a row holding one, and other consumers mangle it. Every string
// that leaves the collector, and every JSON field of a raw record, goes through this function.
import { setOwn } from './json-object';

// In a /u regex a surrogate pair is one code point, so \p{Cs} matches only unpaired halves.
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

/** String.prototype.isWellFormed (ES2024: in Node 20+, newer than this project's lib target). */
const nativeIsWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

function isWellFormed(s: string): boolean {
  return nativeIsWellFormed ? nativeIsWellFormed.call(s) : !LONE_SURROGATE.test(s);
}

/** Same result as String.prototype.toWellFormed. */
function wellFormed(s: string): string {
  return isWellFormed(s) ? s : s.replace(LONE_SURROGATES, '\uFFFD');
}

type Container = unknown[] | Record<string, unknown>;

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

function hasLoneSurrogate(value: object): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === 'string') {
      if (!isWellFormed(node)) return true;
    } else if (Array.isArray(node)) {
      for (const v of node) stack.push(v);
    } else if (isContainer(node)) {
      for (const k of Object.keys(node)) {
        if (!isWellFormed(k)) return true;
        stack.push((node as Record<string, unknown>)[k]);
      }
    }
  }
  return false;
}

/**
 * `value` (any JSON value: object, array, string, number, ...) with every string in it, object
 * keys included, made well-formed: each lone UTF-16 surrogate becomes U+FFFD, as
 * String.prototype.toWellFormed does. Returns `value` itself when nothing needs replacing (the
 * common case costs one walk, no copy), otherwise a repaired copy; the input is never modified.
 * Two keys that differ only in their lone surrogates become one (the later wins).
 * Iterative, so safe on any nesting depth.
 * For a JSON text: `JSON.stringify(toWellFormedJson(JSON.parse(text)))`.
 */
export function toWellFormedJson<T>(value: T): T {
  if (typeof value === 'string') return wellFormed(value) as T;
  if (!isContainer(value) || !hasLoneSurrogate(value)) return value;
  const copyOf = (node: Container): Container => (Array.isArray(node) ? [] : {});
  const root = copyOf(value);
  const stack: [Container, Container][] = [[value, root]];
  while (stack.length > 0) {
    const [source, target] = stack.pop() as [Container, Container];
    for (const [key, child] of Object.entries(source)) {
      let copy: unknown = child;
      if (typeof child === 'string') copy = wellFormed(child);
      else if (isContainer(child)) {
        copy = copyOf(child);
        stack.push([child, copy as Container]);
      }
      if (Array.isArray(target)) target[Number(key)] = copy;
      else setOwn(target, wellFormed(key), copy);
    }
  }
  return root as T;
}

/** A JSON text spells a lone surrogate as an escape; an Avro string (UTF-8) never holds a raw one. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * A JSON text whose strings are all well-formed: the text itself, unchanged, unless it spells a
 * lone surrogate (then `JSON.stringify(toWellFormedJson(JSON.parse(text)))`). Paired escapes and
 * text that is not JSON are returned as they are (the caller's parse reports the latter).
 */
export function toWellFormedJsonText(text: string): string {
  if (!SURROGATE_ESCAPE.test(text) && isWellFormed(text)) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  const repaired = toWellFormedJson(parsed);
  return repaired === parsed ? text : JSON.stringify(repaired);
}
