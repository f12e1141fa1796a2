// The SQL over journey_steps that `cdp journeys status` runs and docs/analytics.md shows verbatim
// (placeholders bound by bindQuery of services/cli/demo/analyst-queries.ts).

/** Funnel of one journey: instances that reached each step, most reached first. */
export const JOURNEY_FUNNEL = `SELECT step_id, uniqExact(instance_id) AS instances, min(seq) AS first_seq
FROM {db}.journey_steps FINAL
WHERE tenant = {tenant} AND journey_id = {journey} AND kind = 'step'
GROUP BY step_id
ORDER BY first_seq, instances DESC`;

/** How instances ended: by reason (converted, completed, merged, journey_deleted, ...). */
export const JOURNEY_EXITS = `SELECT detail AS reason, uniqExact(instance_id) AS instances
FROM {db}.journey_steps FINAL
WHERE tenant = {tenant} AND journey_id = {journey} AND kind = 'exited'
GROUP BY reason
ORDER BY instances DESC, reason`;

/** Running instances by the step they are at (their last row by seq), and how many entered. */
export const JOURNEY_RUNNING = `SELECT step_id, count() AS instances
FROM (
  SELECT instance_id, argMax(step_id, seq) AS step_id, max(kind = 'exited') AS exited
  FROM {db}.journey_steps FINAL
  WHERE tenant = {tenant} AND journey_id = {journey}
  GROUP BY instance_id
)
WHERE exited = 0
GROUP BY step_id
ORDER BY step_id`;

export const JOURNEY_ENTERED = `SELECT uniqExact(instance_id) AS instances
FROM {db}.journey_steps FINAL
WHERE tenant = {tenant} AND journey_id = {journey} AND kind = 'entered'`;
