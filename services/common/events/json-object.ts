// The one test for "a JSON object": free-form event fields (traits, properties, context,
// integrations), request bodies and Lua replies are objects, never arrays or null.

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
