-- Every event once per (tenant, day, event, message_id): ReplacingMergeTree makes replays idempotent
-- after FINAL or a merge. properties / traits / context stay JSON strings (18.16 has no JSON type);
-- prop_keys / prop_values flatten the top-level properties so filters work without JSONExtract.
CREATE TABLE IF NOT EXISTS {db}.events (
  tenant String,
  message_id String,
  type String,
  event String,
  name String,
  user_id String,
  anonymous_id String,
  previous_id String,
  group_id String,
  profile_id String,
  timestamp DateTime('UTC'),
  received_at DateTime('UTC'),
  resolved_at DateTime('UTC'),
  properties String,
  traits String,
  context String,
  prop_keys Array(String),
  prop_values Array(String)
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (tenant, toDate(timestamp), event, message_id);
