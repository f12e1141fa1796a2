-- Mirror of cdp.events.dlq.v1: the original bytes (base64) and why they failed. The DLQ record's own
-- topic / partition / offset is the dedupe key, so a replay of the DLQ does not double rows.
CREATE TABLE IF NOT EXISTS {db}.dead_letters (
  dlq_topic String,
  dlq_partition UInt32,
  dlq_offset UInt64,
  tenant String,
  source_topic String,
  source_partition Int32,
  source_offset Int64,
  source_timestamp DateTime('UTC'),
  key_base64 String,
  value_base64 String,
  error_class String,
  error_message String,
  service String,
  headers_json String,
  failed_at DateTime('UTC')
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(failed_at)
ORDER BY (dlq_topic, dlq_partition, dlq_offset);
