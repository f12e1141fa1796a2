// cdp.events.dlq.v1 record (original bytes + reason headers, not Avro) -> dead_letters row. Nothing
// here may throw on odd input: a DLQ record that cannot be stored would have nowhere left to go.
import type { ConsumedMessage } from '../common/kafka/consumed-message';
import { DLQ_HEADERS } from '../common/kafka/dead-letter';
import { toClickHouseDateTime } from './clickhouse-datetime';

export interface DeadLetterRow {
  dlq_topic: string;
  dlq_partition: number;
  dlq_offset: string;
  tenant: string;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  source_timestamp: string;
  key_base64: string;
  value_base64: string;
  error_class: string;
  error_message: string;
  service: string;
  headers_json: string;
  failed_at: string;
}

const REASON_HEADERS = new Set<string>(Object.values(DLQ_HEADERS));

function integerText(text: string | undefined): string {
  return text !== undefined && /^-?\d+$/.test(text) ? text : '-1';
}

function epochMs(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const asNumber = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isFinite(asNumber) ? asNumber : fallback;
}

/** Raw events are keyed 'tenant:type:identifier'; other keys carry no tenant. */
export function tenantFromKey(key: Buffer | null): string {
  const text = key?.toString('utf8') ?? '';
  const colon = text.indexOf(':');
  return colon > 0 ? text.slice(0, colon) : '';
}

export function deadLetterRow(message: ConsumedMessage): DeadLetterRow {
  const header = (name: string): string | undefined => message.headers[name]?.toString('utf8');
  const others: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (!REASON_HEADERS.has(name)) others[name] = value.toString('utf8');
  }
  return {
    dlq_topic: message.topic,
    dlq_partition: message.partition,
    // Offsets are int64 strings in Kafka; JSONEachRow parses quoted integers, so no precision loss.
    dlq_offset: message.offset,
    tenant: tenantFromKey(message.key),
    source_topic: header(DLQ_HEADERS.sourceTopic) ?? '',
    source_partition: Number(integerText(header(DLQ_HEADERS.sourcePartition))),
    source_offset: integerText(header(DLQ_HEADERS.sourceOffset)),
    source_timestamp: toClickHouseDateTime(epochMs(header(DLQ_HEADERS.sourceTimestamp), 0)),
    key_base64: message.key?.toString('base64') ?? '',
    value_base64: message.value?.toString('base64') ?? '',
    error_class: header(DLQ_HEADERS.errorClass) ?? '',
    error_message: header(DLQ_HEADERS.errorMessage) ?? '',
    service: header(DLQ_HEADERS.service) ?? '',
    headers_json: JSON.stringify(others),
    failed_at: toClickHouseDateTime(epochMs(header(DLQ_HEADERS.failedAt), message.timestamp)),
  };
}
