-- Every membership change (entered / exited) once per change_id, and every computed trait value
-- change: the history. "Current" is the latest version per (segment, profile) or (trait, profile):
-- see docs/analytics.md. segment_membership (0007) stays as it is.
CREATE TABLE IF NOT EXISTS {db}.segment_membership_changes (
  tenant String,
  segment_id String,
  profile_id String,
  change_id String,
  status Enum8('exited' = 0, 'entered' = 1),
  version UInt64,
  segment_version UInt32,
  changed_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(changed_at)
ORDER BY (tenant, segment_id, profile_id, version);

CREATE TABLE IF NOT EXISTS {db}.computed_trait_values (
  tenant String,
  trait_id String,
  profile_id String,
  change_id String,
  value String,
  has_value UInt8,
  version UInt64,
  definition_version UInt32,
  changed_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(changed_at)
ORDER BY (tenant, trait_id, profile_id, version);
