// Every ClickHouse table, in one of two lists: tables that hold personal data (with the condition
// that finds a subject's rows) and tables declared free of it (with the reason). A test lists every
// table of a migrated database and fails on a table in neither list, so a new table cannot be added
// without saying which it is. Engines that add tables (segments, consent, deliveries, journeys)
// register them here.
import { sqlIdentifier, sqlInList, sqlString } from '../common/clickhouse/escape-sql';

/** Whom a request is about, as the conditions need it. */
export interface SubjectKeys {
  tenant: string;
  /** Live profile and every profile merged into it. */
  profileIds: readonly string[];
  /** Normalized `type:value`. */
  identifiers: readonly string[];
}

export interface PersonalDataTable {
  table: string;
  /** Columns the condition reads (documentation and the access export's ordering). */
  columns: readonly string[];
  /**
   * SQL condition selecting the subject's rows; always restricted to the tenant. It must be
   * `tenant = T AND` memberships in the subject's lists (or-ed, and-ed with fixed tests): then a
   * subject whose lists are the union of several subjects' of one tenant selects exactly the rows of
   * any of them, which `whereAnySubject` relies on.
   */
  where(subject: SubjectKeys): string;
  /** Column the access export orders rows by. */
  orderBy?: string;
}

const list = (values: readonly string[]): string => (values.length === 0 ? "('')" : sqlInList(values));

const byProfile =
  (column = 'profile_id') =>
  (s: SubjectKeys): string =>
    `tenant = ${sqlString(s.tenant)} AND ${sqlIdentifier(column)} IN ${list(s.profileIds)}`;

/** Raw event keys are '<tenant>:<type>:<value>' (events/event-key.ts); the DLQ keeps them as base64. */
function deadLetterKeys(s: SubjectKeys): string[] {
  const keys = [...s.identifiers.map((i) => `${s.tenant}:${i}`), ...s.profileIds];
  return keys.map((k) => Buffer.from(k, 'utf8').toString('base64'));
}

export const PERSONAL_DATA_TABLES: readonly PersonalDataTable[] = [
  { table: 'events', columns: ['tenant', 'profile_id'], where: byProfile(), orderBy: 'timestamp' },
  { table: 'profiles', columns: ['tenant', 'profile_id'], where: byProfile() },
  { table: 'identities', columns: ['tenant', 'profile_id'], where: byProfile() },
  {
    table: 'profile_overrides',
    columns: ['tenant', 'old_profile_id', 'override_profile_id'],
    where: (s) =>
      `tenant = ${sqlString(s.tenant)} AND (old_profile_id IN ${list(s.profileIds)} OR override_profile_id IN ${list(s.profileIds)})`,
    orderBy: 'merged_at',
  },
  {
    table: 'ingestion_warnings',
    columns: ['tenant', 'profile_id', 'identifier'],
    // A warning of a profile-less event names the identifier it refused; a warning of another
    // profile that names a shared identifier belongs to that other person.
    where: (s) =>
      `tenant = ${sqlString(s.tenant)} AND (profile_id IN ${list(s.profileIds)} OR (profile_id = '' AND identifier IN ${list(s.identifiers)}))`,
    orderBy: 'occurred_at',
  },
  {
    table: 'dead_letters',
    columns: ['tenant', 'key_base64'],
    where: (s) => `tenant = ${sqlString(s.tenant)} AND key_base64 IN ${list(deadLetterKeys(s))}`,
    orderBy: 'failed_at',
  },
  {
    table: 'segment_membership',
    columns: ['tenant', 'profile_id'],
    where: byProfile(),
    orderBy: 'changed_at',
  },
  {
    table: 'segment_membership_changes',
    columns: ['tenant', 'profile_id'],
    where: byProfile(),
    orderBy: 'changed_at',
  },
  {
    table: 'computed_trait_values',
    columns: ['tenant', 'profile_id'],
    where: byProfile(),
    orderBy: 'changed_at',
  },
  { table: 'journey_steps', columns: ['tenant', 'profile_id'], where: byProfile(), orderBy: 'at' },
  { table: 'deliveries', columns: ['tenant', 'profile_id'], where: byProfile(), orderBy: 'decided_at' },
];

/** Tables declared free of personal data, and why. */
export const TABLES_WITHOUT_PERSONAL_DATA: Readonly<Record<string, string>> = {
  schema_migrations: 'migration bookkeeping',
  events_resolved: 'a view over events and profile_overrides; holds no rows of its own',
};

/**
 * One condition for the rows of any of `subjects`: per tenant, the table's condition over the union
 * of their lists, or-ed across tenants. Equal to or-ing each subject's condition (checked per table
 * on the real server), but ClickHouse evaluates every branch of an OR on every row, so a count or
 * mutation for 100 subjects would test 100 conditions per row; this tests one set per list.
 */
export function whereAnySubject(table: PersonalDataTable, subjects: readonly SubjectKeys[]): string {
  const byTenant = new Map<string, { profileIds: Set<string>; identifiers: Set<string> }>();
  for (const s of subjects) {
    let keys = byTenant.get(s.tenant);
    if (keys === undefined)
      byTenant.set(s.tenant, (keys = { profileIds: new Set(), identifiers: new Set() }));
    for (const id of s.profileIds) keys.profileIds.add(id);
    for (const id of s.identifiers) keys.identifiers.add(id);
  }
  const conditions = [...byTenant].map(([tenant, keys]) =>
    table.where({ tenant, profileIds: [...keys.profileIds], identifiers: [...keys.identifiers] }),
  );
  return conditions.length === 1 ? conditions[0]! : conditions.map((c) => `(${c})`).join(' OR ');
}

export function personalDataTable(name: string): PersonalDataTable | undefined {
  return PERSONAL_DATA_TABLES.find((t) => t.table === name);
}
