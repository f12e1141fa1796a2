// The access document: one JSON object written as it is read, so a person with 100,000 events costs
// the memory of one ClickHouse block, not of their history. Sections: the subject, each personal
// state store's view (identity graph: identifiers, traits, merge history; other engines as they
// register), and the subject's rows of every personal-data table (events, overrides = merge
// history, warnings, dead letters, segment membership, consent, deliveries, ... as registered).
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { ClickHouseClient } from '../common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../common/clickhouse/escape-sql';
import type { PersonalStateStore } from '../common/privacy/personal-state';
import type { PersonalDataTable } from './personal-data-tables';
import type { Subject } from './subject';

export interface AccessSources {
  clickhouse: ClickHouseClient;
  database: string;
  stores: readonly PersonalStateStore[];
  tables: readonly PersonalDataTable[];
}

export interface AccessCounts {
  /** Rows or entries per store / table, for the receipt. */
  [store: string]: number;
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

export async function writeAccessDocument(
  sources: AccessSources,
  header: { requestId: string; generatedAt: string },
  subject: Subject,
  out: Writable,
): Promise<AccessCounts> {
  const counts: AccessCounts = {};
  const { tenant, profileIds, identifiers } = subject;
  await write(
    out,
    `{"requestId":${JSON.stringify(header.requestId)},"tenant":${JSON.stringify(tenant)},` +
      `"generatedAt":${JSON.stringify(header.generatedAt)},` +
      `"subject":${JSON.stringify({ profileId: subject.profileId, profileIds, identifiers })},"state":{`,
  );
  let first = true;
  for (const store of sources.stores) {
    if (store.read === undefined) continue;
    const value = await store.read(tenant, profileIds, identifiers);
    counts[store.name] = Array.isArray(value) ? value.length : value == null ? 0 : 1;
    await write(out, `${first ? '' : ','}${JSON.stringify(store.name)}:${JSON.stringify(value ?? null)}`);
    first = false;
  }
  await write(out, '},"tables":{');
  first = true;
  for (const table of sources.tables) {
    await write(out, `${first ? '' : ','}${JSON.stringify(table.table)}:[`);
    first = false;
    const order = table.orderBy === undefined ? '' : ` ORDER BY ${sqlIdentifier(table.orderBy)}`;
    const rs = await sources.clickhouse.query({
      query: `SELECT * FROM ${sqlIdentifier(sources.database)}.${sqlIdentifier(table.table)} WHERE ${table.where(subject)}${order}`,
      format: 'JSONEachRow',
    });
    let n = 0;
    // The result streams block by block; each row goes out as it arrives, with backpressure.
    for await (const rows of rs.stream()) {
      for (const row of rows as { text: string }[]) {
        await write(out, `${n === 0 ? '' : ','}${row.text}`);
        n++;
      }
    }
    counts[`clickhouse:${table.table}`] = n;
    await write(out, ']');
  }
  await write(out, '}}\n');
  return counts;
}
