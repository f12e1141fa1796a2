// The ClickHouse look-ups that find a subject's merged-away profiles and the identifiers they hold,
// batched. The requests of a chunk are carried out at once, and each look-up reads all of the
// tenant's rows of its table with FINAL (identities and overrides are not ordered by the column
// asked about), so 100 requests asking one query each would read those tables 100 times over.
// Look-ups made within `waitMs` of each other share one query per table and tenant (dataloader).
// Nothing is cached: a second look-up of the same profile (after a block) must see new rows.
import DataLoader from 'dataloader';
import { queryRows, type ClickHouseClient } from '../common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlInList, sqlString } from '../common/clickhouse/escape-sql';
import { privacyClickHouseQueries } from './privacy-metrics';

export interface SubjectLookupOptions {
  /** How long a look-up waits for others to join its query. */
  waitMs?: number;
  /** Profile ids in one query at most (the IN list stays far below max_query_size). */
  maxBatchSize?: number;
}

const keyOf = (tenant: string, profileId: string) => `${tenant}\u0000${profileId}`;

/** Profile ids of the keys, per tenant, in the keys' order. */
function byTenant(keys: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const cut = key.indexOf('\u0000');
    const tenant = key.slice(0, cut);
    const ids = groups.get(tenant);
    if (ids === undefined) groups.set(tenant, [key.slice(cut + 1)]);
    else ids.push(key.slice(cut + 1));
  }
  return groups;
}

export class SubjectLookups {
  private readonly merged: DataLoader<string, string[]>;
  private readonly held: DataLoader<string, string[]>;
  private readonly db: string;

  constructor(
    private readonly clickhouse: ClickHouseClient,
    database: string,
    options: SubjectLookupOptions = {},
  ) {
    this.db = sqlIdentifier(database);
    const waitMs = options.waitMs ?? 20;
    const settings = {
      cache: false,
      maxBatchSize: options.maxBatchSize ?? 1000,
      batchScheduleFn: (run: () => void) => setTimeout(run, waitMs),
    };
    this.merged = new DataLoader((keys) => this.loadMerged(keys), settings);
    this.held = new DataLoader((keys) => this.loadHeld(keys), settings);
  }

  /** Profiles merged into `root` (overrides are flat: every merged-away id points at its root). */
  mergedInto(tenant: string, root: string): Promise<string[]> {
    return this.merged.load(keyOf(tenant, root));
  }

  /** Identifiers the profiles own (identities) or list in their snapshot rows (profiles). */
  async identifiersOf(tenant: string, profileIds: readonly string[]): Promise<string[]> {
    const lists = await Promise.all(profileIds.map((id) => this.held.load(keyOf(tenant, id))));
    return lists.flat();
  }

  private async rows<T>(query: string): Promise<T[]> {
    privacyClickHouseQueries.inc({ kind: 'lookup' });
    return queryRows<T>(this.clickhouse, query);
  }

  private async loadMerged(keys: readonly string[]): Promise<string[][]> {
    const found = new Map<string, string[]>();
    for (const [tenant, roots] of byTenant(keys)) {
      const rows = await this.rows<{ root: string; old: string }>(
        `SELECT override_profile_id AS root, old_profile_id AS old FROM ${this.db}.profile_overrides FINAL WHERE tenant = ${sqlString(tenant)} AND override_profile_id IN ${sqlInList(roots)}`,
      );
      for (const row of rows) append(found, keyOf(tenant, row.root), [row.old]);
    }
    return keys.map((k) => found.get(k) ?? []);
  }

  private async loadHeld(keys: readonly string[]): Promise<string[][]> {
    const found = new Map<string, string[]>();
    for (const [tenant, ids] of byTenant(keys)) {
      const where = `tenant = ${sqlString(tenant)} AND profile_id IN ${sqlInList(ids)}`;
      const [owned, listed] = await Promise.all([
        this.rows<{ profile_id: string; identifier: string }>(
          `SELECT profile_id, identifier FROM ${this.db}.identities FINAL WHERE ${where}`,
        ),
        this.rows<{ profile_id: string; identifiers: string[] }>(
          `SELECT profile_id, identifiers FROM ${this.db}.profiles FINAL WHERE ${where}`,
        ),
      ]);
      for (const row of owned) append(found, keyOf(tenant, row.profile_id), [row.identifier]);
      for (const row of listed) append(found, keyOf(tenant, row.profile_id), row.identifiers);
    }
    return keys.map((k) => found.get(k) ?? []);
  }
}

function append(map: Map<string, string[]>, key: string, values: readonly string[]): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [...values]);
  else list.push(...values);
}
