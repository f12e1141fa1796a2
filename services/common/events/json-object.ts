// The one test for "a JSON object": free-form event fields (traits, properties, context,
// integrations), request bodies and Lua replies are objects, never arrays or null.

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own key, whatever its name: a plain assignment of "__proto__" would set the prototype
 * instead (JSON.parse makes it an own key, so must we). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty is several times slower than an assignment, so only the one key that needs it.
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
