// The privacy service's own metrics: the load its ClickHouse erasure puts on the server (every
// mutation rewrites whole parts of its table on 18.16, so their number is what other tenants feel).
import { Counter } from 'prom-client';
import { registry } from '../common/metrics/registry';

export const privacyClickHouseMutations = new Counter({
  name: 'cdp_privacy_clickhouse_mutations_total',
  help: 'ALTER TABLE ... DELETE mutations submitted by the privacy service, by table.',
  labelNames: ['table'] as const,
  registers: [registry],
});

export const privacyClickHouseQueries = new Counter({
  name: 'cdp_privacy_clickhouse_queries_total',
  help: "Queries of the privacy service, by kind (lookup: a batch of subjects' merged profiles or identifiers; count: rows of subjects; poll: system.mutations).",
  labelNames: ['kind'] as const,
  registers: [registry],
});
