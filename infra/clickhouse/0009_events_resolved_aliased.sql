-- Events with profile_id mapped through the (flat) overrides: merges never rewrite events. FINAL on
-- both sides so a replayed event or a superseded override is counted once.
-- Replaces 0008, whose joined subqueries had no alias: ClickHouse >= 20 refuses that
-- (joined_subquery_requires_alias), so 0008 could not run on a current server. Installs that
-- applied 0008 get the view dropped and re-created; a view holds no data.
DROP TABLE IF EXISTS {db}.events_resolved;
CREATE VIEW {db}.events_resolved AS
SELECT
  tenant,
  message_id,
  type,
  event,
  name,
  if(override_profile_id = '', original_profile_id, override_profile_id) AS profile_id,
  original_profile_id,
  user_id,
  anonymous_id,
  group_id,
  timestamp,
  received_at,
  properties,
  traits,
  context,
  prop_keys,
  prop_values
FROM (
  SELECT
    tenant, message_id, type, event, name, profile_id AS original_profile_id, user_id, anonymous_id,
    group_id, timestamp, received_at, properties, traits, context, prop_keys, prop_values
  FROM {db}.events FINAL
) AS resolved_events
ANY LEFT JOIN (
  SELECT tenant, old_profile_id AS original_profile_id, override_profile_id
  FROM {db}.profile_overrides FINAL
) AS overrides USING (tenant, original_profile_id);
