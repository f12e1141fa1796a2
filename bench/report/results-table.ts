// The bench's one table: each measurement beside its target, as plain text rows.
import { TARGETS } from './targets';

export interface BenchSummary {
  events: number;
  resolver_events_per_s: number;
  passthrough_events_per_s: number;
  resolver_to_passthrough: number;
  sink_events_per_s: number | null;
  collector_events_per_s: number | null;
  e2e_rate: number | null;
  e2e_events_per_s: number | null;
  e2e_p50_ms: number | null;
  e2e_p95_ms: number | null;
  e2e_p99_ms: number | null;
  redis_bytes_per_identifier: number;
  redis_graph_bytes_per_identifier: number;
  redis_bytes_per_profile: number;
  redis_dedupe_bytes_per_event: number;
  redis_commands_per_event: number;
  redis_round_trips_per_event: number;
  precision: number;
  recall: number;
  f1: number;
  false_merge_pairs: number;
  missed_link_pairs: number;
  /** `cdp import`: CSV rows/s to Kafka acknowledged (null when the stage was skipped). */
  import_rows_per_s: number | null;
}

type Row = [metric: string, value: string, target: string, met: string];

const fmt = (n: number | null, digits = 0): string =>
  n === null
    ? 'n/a'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const met = (ok: boolean | null): string => (ok === null ? '' : ok ? 'yes' : 'no');

export function summaryRows(s: BenchSummary): Row[] {
  const e2eAtTarget = s.e2e_rate !== null && s.e2e_rate >= TARGETS.e2eRate;
  return [
    ['events (main size)', fmt(s.events), '', ''],
    ['collector events/s (batches of 100)', fmt(s.collector_events_per_s), '', ''],
    ['pass-through events/s (baseline)', fmt(s.passthrough_events_per_s), '', ''],
    [
      'resolver events/s',
      fmt(s.resolver_events_per_s),
      fmt(TARGETS.resolverEventsPerSecond),
      met(s.resolver_events_per_s >= TARGETS.resolverEventsPerSecond),
    ],
    [
      'resolver / pass-through',
      fmt(s.resolver_to_passthrough, 2),
      fmt(TARGETS.resolverToPassThrough, 2),
      met(s.resolver_to_passthrough >= TARGETS.resolverToPassThrough),
    ],
    ['sink events/s', fmt(s.sink_events_per_s), '', ''],
    ['end-to-end events/s (collector -> ClickHouse)', fmt(s.e2e_events_per_s), '', ''],
    ['e2e offered rate, events/s', fmt(s.e2e_rate), fmt(TARGETS.e2eRate), ''],
    ['e2e latency p50 ms', fmt(s.e2e_p50_ms), '', ''],
    ['e2e latency p95 ms', fmt(s.e2e_p95_ms), '', ''],
    [
      'e2e latency p99 ms',
      fmt(s.e2e_p99_ms),
      `${fmt(TARGETS.e2eP99Ms)} at ${fmt(TARGETS.e2eRate)}/s`,
      s.e2e_p99_ms === null ? '' : met(e2eAtTarget && s.e2e_p99_ms <= TARGETS.e2eP99Ms),
    ],
    [
      'Redis bytes/identifier (all keys)',
      fmt(s.redis_bytes_per_identifier),
      fmt(TARGETS.redisBytesPerIdentifier),
      met(s.redis_bytes_per_identifier <= TARGETS.redisBytesPerIdentifier),
    ],
    [
      'Redis bytes/identifier (graph only)',
      fmt(s.redis_graph_bytes_per_identifier),
      fmt(TARGETS.redisBytesPerIdentifier),
      met(s.redis_graph_bytes_per_identifier <= TARGETS.redisBytesPerIdentifier),
    ],
    ['Redis bytes/profile (graph only)', fmt(s.redis_bytes_per_profile), '', ''],
    ['Redis dedupe bytes/event', fmt(s.redis_dedupe_bytes_per_event), '', ''],
    ['Redis commands/event (incl. in scripts)', fmt(s.redis_commands_per_event, 2), '', ''],
    ['Redis round trips/event', fmt(s.redis_round_trips_per_event, 2), '', ''],
    [
      'precision (pairwise)',
      fmt(s.precision, 4),
      fmt(TARGETS.precision, 4),
      met(s.precision >= TARGETS.precision),
    ],
    ['recall (linkable pairs)', fmt(s.recall, 4), fmt(TARGETS.recall, 4), met(s.recall >= TARGETS.recall)],
    ['F1', fmt(s.f1, 4), '', ''],
    ['false-merge pairs', fmt(s.false_merge_pairs), '0', met(s.false_merge_pairs === 0)],
    ['missed-link pairs', fmt(s.missed_link_pairs), '0', met(s.missed_link_pairs === 0)],
    [
      'cdp import CSV rows/s (to Kafka acked)',
      fmt(s.import_rows_per_s),
      fmt(TARGETS.importRowsPerSecond),
      s.import_rows_per_s === null ? '' : met(s.import_rows_per_s >= TARGETS.importRowsPerSecond),
    ],
  ];
}

/** Columns padded to their widest cell: the first left-aligned, the others right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const SUMMARY_HEADER: Row = ['measurement', 'value', 'target', 'met'];
