-- Merged-away profile -> the root survivor. Kept flat (every descendant points at the root) so the
-- events_resolved view needs one join, not a recursive walk, on every ClickHouse version.
CREATE TABLE IF NOT EXISTS {db}.profile_overrides (
  tenant String,
  old_profile_id String,
  override_profile_id String,
  version UInt64,
  merged_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, old_profile_id);
