// cdp.ingestion.warnings.v1 record -> ingestion_warnings row.
import { toClickHouseDateTime } from './clickhouse-datetime';
import { asRecord, num, optStr, str } from './record-fields';

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

export function warningRow(decoded: unknown): WarningRow {
  const r = asRecord(decoded, 'ingestion warning');
  return {
    tenant: str(r, 'tenant'),
    warning_id: str(r, 'warningId'),
    message_id: str(r, 'messageId'),
    profile_id: optStr(r, 'profileId'),
    code: str(r, 'code'),
    message: str(r, 'message'),
    identifier: optStr(r, 'identifier'),
    trait: optStr(r, 'trait'),
    occurred_at: toClickHouseDateTime(num(r, 'occurredAt')),
  };
}
