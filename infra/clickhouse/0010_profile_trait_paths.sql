-- Traits flattened by dotted path (flattenTraits in services/common/events/flat-json.ts), so segment
-- SQL compares a trait the way the segment engine does, without JSON functions 18.16 lacks.
-- Rows written before this migration have empty arrays until their profile's next snapshot.
ALTER TABLE {db}.profiles
  ADD COLUMN trait_keys Array(String),
  ADD COLUMN trait_values Array(String);
