// JSON objects as flat (path, text) pairs: the form ClickHouse stores for filtering (events'
// prop_keys/prop_values, profiles' trait_keys/trait_values) and the form segment conditions are
// evaluated on, in the engine and in SQL alike, so both see exactly the same values.
import { isJsonObject } from './json-object';

export interface FlatJson {
  keys: string[];
  values: string[];
}

/** A leaf's text: strings as-is, anything else as its JSON text. */
export function flatText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Top-level properties as parallel arrays; strings as-is, anything else as its JSON text. */
export function flattenProperties(json: string): FlatJson {
  const keys: string[] = [];
  const values: string[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    // The raw string is still stored; only the filter arrays stay empty.
    return { keys, values };
  }
  if (!isJsonObject(parsed)) return { keys, values };
  for (const [key, value] of Object.entries(parsed)) {
    if (value === undefined) continue;
    keys.push(key);
    values.push(flatText(value));
  }
  return { keys, values };
}

/**
 * Traits by dotted path to every leaf (`address.city`); objects are walked, arrays are leaves (their
 * JSON text), null is absent (an unset trait). Keys holding a dot cannot be addressed and are skipped.
 */
export function flattenTraits(traits: Record<string, unknown>): FlatJson {
  const keys: string[] = [];
  const values: string[] = [];
  const walk = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [key, value] of Object.entries(obj)) {
      if (value === null || value === undefined || key.includes('.') || key === '') continue;
      const path = prefix + key;
      if (isJsonObject(value)) walk(value, `${path}.`);
      else {
        keys.push(path);
        values.push(flatText(value));
      }
    }
  };
  walk(traits, '');
  return { keys, values };
}
