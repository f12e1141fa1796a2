// Analyst queries over events_resolved, profiles and identities, kept in one place: docs/analytics.md
// shows them verbatim, `cdp demo` runs two, and test/integration/e2e/analyst-queries.test.ts checks
// each against known data. They run on ClickHouse 18.16: no JSONExtract (visitParam* and the
// prop_keys / prop_values arrays instead) and no query parameters (placeholders bound below).
import { sqlIdentifier, sqlString } from '../../common/clickhouse/escape-sql';

/** Distinct (merge-resolved) profiles with any event in the last 7 days. */
export const ACTIVE_PROFILES_7D = `SELECT uniqExact(profile_id) AS active_profiles
FROM {db}.events_resolved
WHERE tenant = {tenant} AND timestamp >= now() - INTERVAL 7 DAY`;

/** The most frequent track events of the last 7 days, with how many profiles sent each. */
export const TOP_EVENTS_7D = `SELECT event, count() AS events, uniqExact(profile_id) AS profiles
FROM {db}.events_resolved
WHERE tenant = {tenant} AND type = 'track' AND timestamp >= now() - INTERVAL 7 DAY
GROUP BY event
ORDER BY events DESC, event
LIMIT 10`;

/** Revenue per profile (top 5), with the profile's email trait from its latest snapshot. */
export const REVENUE_PER_PROFILE_TOP5 = `SELECT profile_id, email, orders, revenue
FROM (
  SELECT tenant, profile_id, count() AS orders,
    round(sum(toFloat64OrZero(prop_values[indexOf(prop_keys, 'revenue')])), 2) AS revenue
  FROM {db}.events_resolved
  WHERE tenant = {tenant} AND event = 'Order Completed'
  GROUP BY tenant, profile_id
) AS orders
ANY LEFT JOIN (
  SELECT tenant, profile_id, visitParamExtractString(traits, 'email') AS email
  FROM {db}.profiles FINAL
  WHERE tenant = {tenant}
) AS emails USING (tenant, profile_id)
ORDER BY revenue DESC, profile_id
LIMIT 5`;

/** How far profiles got in view -> add to cart -> order within 7 days (level 0 = not even a view). */
export const FUNNEL_VIEW_ADD_ORDER = `SELECT level, count() AS profiles
FROM (
  SELECT profile_id,
    windowFunnel(604800)(timestamp, event = 'Product Viewed', event = 'Product Added', event = 'Order Completed') AS level
  FROM {db}.events_resolved
  WHERE tenant = {tenant} AND type = 'track'
  GROUP BY profile_id
)
GROUP BY level
ORDER BY level`;

/** Of the profiles active 6 days ago, how many were active again 1, 3 and 5 days later. */
export const RETENTION_FROM_6_DAYS_AGO = `SELECT sum(r[1]) AS day_0, sum(r[2]) AS day_1, sum(r[3]) AS day_3, sum(r[4]) AS day_5
FROM (
  SELECT profile_id,
    retention(toDate(timestamp) = today() - 6, toDate(timestamp) = today() - 5,
              toDate(timestamp) = today() - 3, toDate(timestamp) = today() - 1) AS r
  FROM {db}.events_resolved
  WHERE tenant = {tenant} AND timestamp >= now() - INTERVAL 7 DAY
  GROUP BY profile_id
)`;

/** Top track events of a cohort: live profiles whose trait plan = {plan}. */
export const TOP_EVENTS_FOR_PLAN_COHORT = `SELECT event, count() AS events, uniqExact(profile_id) AS profiles
FROM {db}.events_resolved
WHERE tenant = {tenant} AND type = 'track' AND profile_id IN (
  SELECT profile_id
  FROM {db}.profiles FINAL
  WHERE tenant = {tenant} AND merged_into = '' AND is_deleted = 0
    AND visitParamExtractString(traits, 'plan') = {plan}
)
GROUP BY event
ORDER BY events DESC, event
LIMIT 10`;

/** The live profile holding an email (identities map it; overrides follow any later merge). */
export const PROFILE_BY_EMAIL = `SELECT profile_id, version, traits, identifiers
FROM {db}.profiles FINAL
WHERE tenant = {tenant} AND profile_id IN (
  SELECT if(override_profile_id = '', profile_id, override_profile_id)
  FROM (
    SELECT tenant, profile_id
    FROM {db}.identities FINAL
    WHERE tenant = {tenant} AND identifier = concat('email:', lower({email}))
  ) AS holders
  ANY LEFT JOIN (
    SELECT tenant, old_profile_id AS profile_id, override_profile_id
    FROM {db}.profile_overrides FINAL
  ) AS overrides USING (tenant, profile_id)
)`;

/** Replaces {db} with a quoted identifier and every other {name} with a quoted string literal. */
export function bindQuery(sql: string, params: { db: string } & Record<string, string>): string {
  return sql.replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for placeholder ${whole}`);
    return name === 'db' ? sqlIdentifier(value) : sqlString(value);
  });
}
