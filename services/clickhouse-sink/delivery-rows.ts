// cdp.activation.deliveries.v1 record -> deliveries row.
import { toClickHouseDateTime } from './clickhouse-datetime';
import type { DeliveryDecisionRecord } from '../common/streams/activation';

export interface DeliveryRow {
  tenant: string;
  destination_id: string;
  profile_id: string;
  source_stream: string;
  source_id: string;
  idempotency_id: string;
  attempt: number;
  status: string;
  reason: string;
  http_status: number;
  latency_ms: number;
  decided_at: string;
}

export function deliveryRow(r: DeliveryDecisionRecord): DeliveryRow {
  return {
    tenant: r.tenant,
    destination_id: r.destinationId,
    profile_id: r.profileId,
    source_stream: r.sourceStream,
    source_id: r.sourceId,
    idempotency_id: r.idempotencyId,
    attempt: Math.max(0, r.attempt),
    status: r.status,
    reason: r.reason,
    http_status: Math.min(Math.max(0, r.httpStatus), 65_535),
    latency_ms: Math.max(0, r.latencyMs),
    decided_at: toClickHouseDateTime(r.decidedAt),
  };
}
