// Current ClickHouse (chdb: the server embedded in a Python process, pinned by
// infra/local/ensure-chdb.sh) runs every migration, the sink's inserts and every documented analyst
// query, so what we write for 18.16 keeps working on the servers people run today.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as analystQueries from '../../services/cli/demo/analyst-queries';
import { versionAtLeast } from '../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../../services/common/clickhouse/escape-sql';
import { bindDatabase } from '../../services/common/clickhouse/migration-files';
import { loadMigrations } from '../../services/common/clickhouse/migrator';
import { deadLetterRow } from '../../services/clickhouse-sink/dead-letter-rows';
import { deliveryRow } from '../../services/clickhouse-sink/delivery-rows';
import { eventRow } from '../../services/clickhouse-sink/event-rows';
import { mergedLoserRow } from '../../services/clickhouse-sink/merged-profile-row';
import { overrideRows } from '../../services/clickhouse-sink/override-rows';
import type { IdentityMergeRecord } from '../../services/common/streams/identity-merges';
import { profileRows } from '../../services/clickhouse-sink/profile-rows';
import { splitByPartition } from '../../services/clickhouse-sink/table-partitions';
import { warningRow } from '../../services/clickhouse-sink/warning-rows';
import { toWellFormedJson } from '../../services/common/events/well-formed-json';
import { DLQ_HEADERS } from '../../services/common/kafka/dead-letter';
import { resolvedOrderRecord } from '../support/resolved-event-record';
import { segmentSchema } from '../../services/common/definitions/kinds/segment';
import { computedTraitRow, membershipChangeRow } from '../../services/clickhouse-sink/segment-rows';
import { compileSegment } from '../../services/segment-engine/sql/compile-segment';
import { eventsSql, mergedIdsSql, segmentsSql } from '../../services/profile-api/events-query';
import { conditions, engineMembers, sqlCaseContext, sqlCaseRows } from '../support/segment-sql-cases';

const root = path.join(__dirname, '../..');
const runner = path.join(__dirname, 'run-on-chdb.py');
const DB = 'cdp';

interface Statement {
  label: string;
  sql: string;
}

/** The Makefile passes the interpreter; run alone, the test installs chdb itself (idempotent). */
function chdbPython(): string {
  const fromEnv = process.env.CDP_CHDB_PYTHON;
  if (fromEnv) return fromEnv;
  return execFileSync(path.join(root, 'infra/local/ensure-chdb.sh'), { encoding: 'utf8' }).trim();
}

function onChdb(python: string, args: string[], input = ''): string {
  return execFileSync(python, [runner, ...args], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function migrationStatements(serverVersion: string): { statements: Statement[]; skipped: string[] } {
  const statements: Statement[] = [{ label: 'create database', sql: `CREATE DATABASE ${sqlIdentifier(DB)}` }];
  const skipped: string[] = [];
  for (const m of loadMigrations()) {
    // The migrator's own gate: a migration for newer servers is skipped on older ones.
    if (m.minServerVersion && !versionAtLeast(serverVersion, m.minServerVersion)) {
      skipped.push(`${m.version}_${m.name}`);
      continue;
    }
    m.statements.forEach((sql, i) =>
      statements.push({
        label: `migration ${m.version}_${m.name} #${i + 1}`,
        sql: bindDatabase(sql, sqlIdentifier(DB)),
      }),
    );
  }
  return { statements, skipped };
}

/** One row per table, built by the sink's own mappers and sent as the sink sends them. */
function sinkInserts(): Statement[] {
  const T = Date.UTC(2026, 0, 2, 3, 4, 5);
  const tenant = 'demo';
  const merge: IdentityMergeRecord = {
    mergeId: 'p-2:p-1',
    tenant,
    loserId: 'p-2',
    survivorId: 'p-1',
    survivorVersion: 3,
    identifiersMoved: [],
    sourceMessageId: 'm-1',
    mergedAt: T,
  };
  const profile = profileRows({
    tenant,
    profileId: 'p-1',
    version: 3,
    identifiers: ['email:ann@example.com'],
    traits: JSON.stringify({ email: 'ann@example.com', plan: 'pro' }),
    firstSeen: T,
    lastSeen: T,
    updatedAt: T,
    mergedInto: null,
    traitTimestamps: {},
    mergeCount: 0,
    mergedFrom: [],
    traitState: null,
  });
  const order = resolvedOrderRecord({ tenant, messageId: 'm-1', profileId: 'p-2', at: T, total: 12.5 });
  const rows: [string, object[]][] = [
    ['events', [eventRow({ ...order, properties: JSON.stringify({ revenue: 12.5, k: '\ud800' }) })]],
    ['profiles', [profile.profile, mergedLoserRow(merge, undefined)]],
    ['identities', profile.identities],
    ['profile_overrides', overrideRows(merge, 'p-1', [])],
    [
      'ingestion_warnings',
      [
        warningRow({
          tenant,
          warningId: 'w-1',
          messageId: 'm-1',
          profileId: 'p-1',
          code: 'limit',
          message: 'too many',
          identifier: null,
          trait: null,
          occurredAt: T,
        }),
      ],
    ],
    [
      'segment_membership_changes',
      [
        membershipChangeRow({
          changeId: 'demo:vip:p-1:1',
          tenant,
          segmentId: 'vip',
          profileId: 'p-1',
          status: 'entered',
          version: 1,
          segmentVersion: 1,
          changedAt: T,
        }),
      ],
    ],
    [
      'computed_trait_values',
      [
        computedTraitRow({
          changeId: 'demo:spend:p-1:1',
          tenant,
          traitId: 'spend',
          profileId: 'p-1',
          value: '12.5',
          previous: null,
          version: 1,
          definitionVersion: 1,
          changedAt: T,
        }),
      ],
    ],
    [
      'dead_letters',
      [
        deadLetterRow({
          topic: 'cdp.events.dlq.v1',
          partition: 0,
          offset: '7',
          key: Buffer.from('demo:track:u1'),
          value: Buffer.from([0xde, 0xad]),
          headers: { [DLQ_HEADERS.errorClass]: Buffer.from('DecodeError') },
          timestamp: T,
        }),
      ],
    ],
    [
      'deliveries',
      [
        deliveryRow({
          tenant,
          destinationId: 'crm-hook',
          profileId: 'p-1',
          sourceStream: 'membership',
          sourceId: 'c-1',
          idempotencyId: 'msg_1',
          attempt: 2,
          status: 'dead_lettered',
          reason: 'HTTP 410: gone',
          httpStatus: 410,
          latencyMs: 1234,
          decidedAt: T,
        }),
      ],
    ],
  ];
  return rows.map(([table, values]) => ({
    label: `sink insert into ${table}`,
    sql: `INSERT INTO ${sqlIdentifier(DB)}.${sqlIdentifier(table)} FORMAT JSONEachRow\n${values
      .map((v) => JSON.stringify(toWellFormedJson(v)))
      .join('\n')}`,
  }));
}

const PARAMS = { db: DB, tenant: 'demo', plan: 'pro', email: 'Ann@Example.com', journey: 'pricing-help' };

/** Every query analyst-queries.ts exports and every ```sql block of docs/analytics.md, once each. */
function analystStatements(): Statement[] {
  const byText = new Map<string, string>();
  for (const [name, value] of Object.entries(analystQueries)) {
    if (typeof value === 'string') byText.set(value, `analyst query ${name}`);
  }
  const doc = fs.readFileSync(path.join(root, 'docs/analytics.md'), 'utf8');
  let n = 0;
  for (const match of doc.matchAll(/```sql\n([\s\S]*?)\n```/g)) {
    n++;
    const sql = (match[1] as string).trim();
    if (!byText.has(sql)) byText.set(sql, `docs/analytics.md sql block ${n}`);
  }
  return [...byText].map(([sql, label]) => ({ label, sql: analystQueries.bindQuery(sql, PARAMS) }));
}

/** The profile API's reads: merged ids, an events page (first and later, with an event name), segments. */
function profileApiStatements(): Statement[] {
  const page = { database: DB, tenant: 'demo', profileIds: ['p-1', 'p-0'], since: 0, limit: 100 };
  return [
    { label: 'profile API merged ids', sql: mergedIdsSql(DB, 'demo', 'p-1') },
    { label: 'profile API events page', sql: eventsSql(page) },
    {
      label: 'profile API events later page of one event',
      sql: eventsSql({
        ...page,
        event: 'Order Completed',
        after: { ts: 1_790_000_000, messageId: 'm', since: 0 },
      }),
    },
    { label: 'profile API segments', sql: segmentsSql(DB, 'demo', 'p-1') },
  ];
}

it('runs every migration, the sink inserts and every analyst query on current ClickHouse', () => {
  const python = chdbPython();
  const version = onChdb(python, ['--version']).trim();
  expect(version).toMatch(/^\d+\.\d+/);
  const { statements: migrations, skipped } = migrationStatements(version);
  const analyst = analystStatements();
  // Not vacuous: the tree has eight migrations and seven documented queries today.
  expect(migrations.length).toBeGreaterThanOrEqual(9);
  expect(analyst.length).toBeGreaterThanOrEqual(7);
  const statements = [...migrations, ...sinkInserts(), ...analyst, ...profileApiStatements()];
  const output = JSON.parse(onChdb(python, [], JSON.stringify({ statements }))) as {
    results: { label: string; error: string | null }[];
  };
  expect(output.results.map((r) => r.label)).toEqual(statements.map((s) => s.label));
  const failures = output.results.filter((r) => r.error !== null).map((r) => `${r.label}: ${r.error}`);
  expect({ version, skipped, failures }).toEqual({ version, skipped: [], failures: [] });
});

it('splits a flush over 130 months into inserts that max_partitions_per_insert_block accepts', () => {
  // 18.16 has no such setting, so only current ClickHouse can show the split is needed and enough.
  const python = chdbPython();
  const { statements: migrations } = migrationStatements(onChdb(python, ['--version']).trim());
  const rows = Array.from({ length: 130 }, (_, i) => {
    const at = Date.UTC(2015 + Math.floor(i / 12), i % 12, 1);
    return eventRow(
      resolvedOrderRecord({ tenant: 'demo', messageId: `m-${i}`, profileId: 'p-1', at, total: i }),
    );
  });
  const insert = (label: string, batch: object[]): Statement => ({
    label,
    sql: `INSERT INTO ${sqlIdentifier(DB)}.events FORMAT JSONEachRow\n${batch.map((r) => JSON.stringify(r)).join('\n')}`,
  });
  const split = splitByPartition('events', rows, (r) => r);
  expect(split).toHaveLength(130);
  const statements = [
    ...migrations,
    { label: 'set limit', sql: 'SET max_partitions_per_insert_block = 10' },
    insert('unsplit insert', rows),
    ...split.map((batch, i) => insert(`month insert ${i + 1}`, batch)),
    { label: 'count', sql: `SELECT throwIf(count() != 130) FROM ${sqlIdentifier(DB)}.events` },
  ];
  const output = JSON.parse(onChdb(python, [], JSON.stringify({ statements }))) as {
    results: { label: string; error: string | null }[];
  };
  const failures = output.results.filter((r) => r.error !== null);
  // The one insert of every month together is refused: the setting is in force and the split needed.
  expect(failures.map((f) => f.label)).toEqual(['unsplit insert']);
  expect(failures[0]?.error).toMatch(/partitions/i);
});

it('runs the compiled segment SQL on current ClickHouse with the members the engine computes', () => {
  const python = chdbPython();
  const { statements: migrations } = migrationStatements(onChdb(python, ['--version']).trim());
  const { profiles, events } = sqlCaseRows();
  const insert = (table: string, rows: object[]): Statement => ({
    label: `insert ${table}`,
    sql: `INSERT INTO ${sqlIdentifier(DB)}.${table} FORMAT JSONEachRow\n${rows.map((r) => JSON.stringify(r)).join('\n')}`,
  });
  // Each check throws inside ClickHouse when the members differ from the engine's.
  const checks = conditions.map((condition, i): Statement => {
    const segment = { kind: 'segment', id: 's', condition };
    const want = engineMembers(segment)
      .map((p) => `'${p}'`)
      .join(', ');
    const sql = compileSegment(segmentSchema.parse(segment), sqlCaseContext(DB));
    return {
      label: `segment condition ${i}`,
      sql: `SELECT throwIf(arraySort(groupArray(profile_id)) != CAST([${want}] AS Array(String))) FROM (${sql})`,
    };
  });
  const statements = [...migrations, insert('profiles', profiles), insert('events', events), ...checks];
  const output = JSON.parse(onChdb(python, [], JSON.stringify({ statements }))) as {
    results: { label: string; error: string | null }[];
  };
  const failures = output.results.filter((r) => r.error !== null).map((r) => `${r.label}: ${r.error}`);
  expect(failures).toEqual([]);
  expect(checks.length).toBeGreaterThanOrEqual(20);
});
