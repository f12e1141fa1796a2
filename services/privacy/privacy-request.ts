// How a privacy request is made, whoever makes it (`cdp privacy <action>`, `POST /v1/privacy/requests`):
// the identifier is normalized by the tenant's identity rules exactly as the resolver wrote it, and
// the request goes on cdp.privacy.requests.v1 keyed `<tenant>:<requestId>` (its receipt's key too).
import { randomUUID } from 'node:crypto';
import type { RecordEncoder } from '../common/codec/avro-codec';
import type { MessageSender } from '../common/kafka/producer';
import { TOPICS } from '../common/kafka/topics';
import {
  privacyRequests,
  type PrivacyAction,
  type PrivacyRequestRecord,
} from '../common/streams/privacy-requests';
import type { Tenant } from '../common/tenants';
import { normalizeIdentifier } from '../identity-resolver/extract-identifiers';
import { tenantRules } from '../identity-resolver/profile-lookup';

export type BuiltPrivacyRequest = { ok: true; request: PrivacyRequestRecord } | { ok: false; reason: string };

/** A malformed identifier is a value whose reason names it, for the CLI's stderr and HTTP 400. */
export function buildPrivacyRequest(
  tenant: Tenant,
  action: PrivacyAction,
  identifier: string,
  requestedBy: string | null,
  now: number = Date.now(),
): BuiltPrivacyRequest {
  const normalized = normalizeIdentifier(identifier, tenantRules(tenant));
  if (!normalized.ok)
    return { ok: false, reason: `invalid identifier ${JSON.stringify(identifier)}: ${normalized.reason}` };
  return {
    ok: true,
    request: {
      requestId: randomUUID(),
      tenant: tenant.id,
      action,
      identifier: normalized.identifier,
      profileId: null,
      requestedBy,
      requestedAt: now,
    },
  };
}

/** Resolves once Kafka acknowledged the request. */
export async function publishPrivacyRequest(
  producer: MessageSender,
  codec: RecordEncoder,
  request: PrivacyRequestRecord,
  topic: string = TOPICS.privacyRequests,
): Promise<void> {
  const value = await codec.encodeRecord(privacyRequests, request, topic);
  await producer.send([{ topic, key: privacyRequests.key(request), value }]);
}
