// Segment clients authenticate with the write key as the HTTP Basic user (empty password);
// some send it as `writeKey` in the body instead. The header wins when both are present.
import { isJsonObject } from '../common/events/json-object';

export function writeKeyFromBasicAuth(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization);
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon === -1 ? decoded : decoded.slice(0, colon);
  return user.length > 0 ? user : undefined;
}

export function writeKeyOf(authorization: string | undefined, body: unknown): string | undefined {
  const fromHeader = writeKeyFromBasicAuth(authorization);
  if (fromHeader !== undefined) return fromHeader;
  if (isJsonObject(body) && typeof body.writeKey === 'string' && body.writeKey.length > 0)
    return body.writeKey;
  return undefined;
}
