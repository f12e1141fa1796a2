-- The latest snapshot of each profile wins by version; a merged-away profile keeps its row with
-- merged_into set, and a deleted one gets is_deleted = 1.
CREATE TABLE IF NOT EXISTS {db}.profiles (
  tenant String,
  profile_id String,
  version UInt64,
  traits String,
  identifiers Array(String),
  first_seen DateTime('UTC'),
  last_seen DateTime('UTC'),
  updated_at DateTime('UTC'),
  is_deleted UInt8,
  merged_into String
) ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, profile_id);
