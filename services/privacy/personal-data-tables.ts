// Every ClickHouse table, in one of two lists: tables that hold personal data (with the condition
// that finds a subject's rows) and tables declared free of it (with the reason). A test lists every
// table of a migrated database and fails on a table in neither list, so a new table cannot be added
// without saying which it is. Engines that add tables (segments, consent, deliveries, journeys)
// register them here.
import { sqlIdentifier, sqlString } from '../common/clickhouse/escape-sql';

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
  /** SQL condition selecting the subject's rows; always restricted to the tenant. */
  where(subject: SubjectKeys): string;
  /** Column the access export orders rows by. */
  orderBy?: string;
}

const list = (values: readonly string[]): string =>
  values.length === 0 ? "('')" : `(${values.map(sqlString).join(', ')})`;

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

export function personalDataTable(name: string): PersonalDataTable | undefined {
  return PERSONAL_DATA_TABLES.find((t) => t.table === name);
}
