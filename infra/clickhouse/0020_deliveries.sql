-- Every decision activation took about a delivery (cdp.activation.deliveries.v1): delivered, retried,
-- dead_lettered or blocked_consent, with the attempt, the answer and the latency from the delivery's
-- creation. A decision written twice (a crash between the write and the queue step) has the same
-- key and merges away.
CREATE TABLE IF NOT EXISTS {db}.deliveries (
  tenant String,
  destination_id String,
  profile_id String,
  source_stream String,
  source_id String,
  idempotency_id String,
  attempt UInt32,
  status String,
  reason String,
  http_status UInt16,
  latency_ms UInt64,
  decided_at DateTime('UTC')
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(decided_at)
ORDER BY (tenant, destination_id, idempotency_id, status, attempt);
