-- Current membership per (segment, profile); the highest version wins.
CREATE TABLE IF NOT EXISTS {db}.segment_membership (
  tenant String,
  segment_id String,
  profile_id String,
  status Enum8('out' = 0, 'in' = 1),
  version UInt64,
  changed_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, segment_id, profile_id);
