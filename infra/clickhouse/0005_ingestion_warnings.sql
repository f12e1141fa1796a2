-- What identity resolution refused for an event; warning_id is deterministic, so replays dedupe.
CREATE TABLE IF NOT EXISTS {db}.ingestion_warnings (
  tenant String,
  warning_id String,
  message_id String,
  profile_id String,
  code String,
  message String,
  identifier String,
  trait String,
  occurred_at DateTime('UTC')
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (tenant, warning_id);
