-- identifier ('type:value') -> owning profile; the highest profile version wins.
CREATE TABLE IF NOT EXISTS {db}.identities (
  tenant String,
  identifier String,
  profile_id String,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, identifier);
