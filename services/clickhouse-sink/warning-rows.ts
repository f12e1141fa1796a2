// cdp.ingestion.warnings.v1 record -> ingestion_warnings row.
import { toClickHouseDateTime } from './clickhouse-datetime';
import type { IngestionWarningRecord } from '../common/streams/ingestion-warnings';

export interface WarningRow {
  tenant: string;
  warning_id: string;
  message_id: string;
  profile_id: string;
  code: string;
  message: string;
  identifier: string;
  trait: string;
  occurred_at: string;
}

export function warningRow(r: IngestionWarningRecord): WarningRow {
  return {
    tenant: r.tenant,
    warning_id: r.warningId,
    message_id: r.messageId,
    profile_id: r.profileId ?? '',
    code: r.code,
    message: r.message,
    identifier: r.identifier ?? '',
    trait: r.trait ?? '',
    occurred_at: toClickHouseDateTime(r.occurredAt),
  };
}
