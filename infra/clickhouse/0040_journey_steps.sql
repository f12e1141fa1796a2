-- Every journey instance event: entered, step (reached), action_sent, waiting, exited (detail: the
-- reason). entry_id is deterministic, so a step log row sent twice after a crash dedupes.
CREATE TABLE IF NOT EXISTS {db}.journey_steps (
  tenant String,
  entry_id String,
  journey_id String,
  journey_version UInt32,
  instance_id String,
  profile_id String,
  kind String,
  step_id String,
  seq UInt32,
  detail String,
  at DateTime('UTC'),
  at_ms UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (tenant, journey_id, instance_id, entry_id);
