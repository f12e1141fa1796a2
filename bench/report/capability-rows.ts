// The capability stages' tables (activation, journeys, profile API, privacy): each measurement
// beside its target, in the shape of summaryRows, printed by `make bench` after the main table.
import type { ActivationBenchResult } from '../stages/activation-run';
import type { JourneyTimersResult } from '../stages/journey-timers';
import type { ErasureLoad, PrivacyBenchResult } from '../stages/privacy-deletes';
import type { ProfileApiLoadResult } from '../stages/profile-api-load';
import { TARGETS } from './targets';

export type Row = [metric: string, value: string, target: string, met: string];

const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';
/** A measurement that did not happen (NaN: nothing received) meets nothing. */
const met = (value: number, ok: (v: number) => boolean): string =>
  Number.isFinite(value) && ok(value) ? 'yes' : 'no';

export function activationRows(r: ActivationBenchResult): Row[] {
  const ratio = r.isolation.ratio;
  return [
    [`deliveries/s, batch_size 1 (${fmt(r.batch1.deliveries)})`, fmt(r.batch1.deliveries_per_s), '', ''],
    [
      `deliveries/s, batch_size 100 (${fmt(r.batch100.deliveries)} in ${fmt(r.batch100.requests)} requests)`,
      fmt(r.batch100.deliveries_per_s),
      fmt(TARGETS.activationBatchedDeliveriesPerSecond),
      met(r.batch100.deliveries_per_s, (v) => v >= TARGETS.activationBatchedDeliveriesPerSecond),
    ],
    [`event -> webhook p50 ms at ${fmt(r.e2e.rate)}/s`, fmt(r.e2e.p50_ms), '', ''],
    [
      `event -> webhook p99 ms at ${fmt(r.e2e.rate)}/s`,
      fmt(r.e2e.p99_ms),
      fmt(TARGETS.activationEventToWebhookP99Ms),
      met(r.e2e.p99_ms, (v) => v <= TARGETS.activationEventToWebhookP99Ms),
    ],
    [`healthy destination p99 ms alone at ${fmt(r.solo.rate)}/s`, fmt(r.solo.p99_ms), '', ''],
    ['healthy destination p99 ms beside a hanging one', fmt(r.hanging.p99_ms), '', ''],
    [
      'isolation: p99 beside a hang / alone',
      fmt(ratio, 2),
      `<= ${fmt(TARGETS.activationIsolationRatio, 2)}`,
      met(ratio, (v) => v <= TARGETS.activationIsolationRatio),
    ],
  ];
}

export function journeyRows(r: JourneyTimersResult, spreadSeconds: number): Row[] {
  return [
    [`profiles waiting on a timer (due over ${fmt(spreadSeconds)} s)`, fmt(r.profiles), '', ''],
    ['entries/s (trigger -> wait)', fmt(r.enterPerSecond), '', ''],
    [
      'Redis bytes/waiting instance',
      fmt(r.bytesPerWaitingInstance),
      fmt(TARGETS.journeyBytesPerWaitingInstance),
      met(r.bytesPerWaitingInstance, (v) => v <= TARGETS.journeyBytesPerWaitingInstance),
    ],
    ['timer lateness p50 ms', fmt(r.latenessP50Ms), '', ''],
    [
      'timer lateness p99 ms',
      fmt(r.latenessP99Ms),
      fmt(TARGETS.journeyLatenessP99Ms),
      met(r.latenessP99Ms, (v) => v <= TARGETS.journeyLatenessP99Ms),
    ],
    ['timer lateness max ms', fmt(r.latenessMaxMs), '', ''],
    ['actions/s', fmt(r.actionsPerSecond), '', ''],
  ];
}

export function profileApiRows(r: ProfileApiLoadResult): Row[] {
  const lookupAtTarget = (r.lookups.offered_per_s ?? 0) >= TARGETS.profileLookupRate;
  const failed = (run: ProfileApiLoadResult['lookups']) => run.non_2xx + run.errors;
  return [
    ['lookups offered/s', fmt(r.lookups.offered_per_s ?? NaN), fmt(TARGETS.profileLookupRate), ''],
    ['lookups served/s', fmt(r.lookups.requests_per_s), '', ''],
    ['lookup p50 ms', fmt(r.lookups.p50_ms), '', ''],
    ['lookup p95 ms', fmt(r.lookups.p95_ms), '', ''],
    [
      'lookup p99 ms',
      fmt(r.lookups.p99_ms),
      `${fmt(TARGETS.profileLookupP99Ms)} at ${fmt(TARGETS.profileLookupRate)}/s`,
      lookupAtTarget ? met(r.lookups.p99_ms, (v) => v <= TARGETS.profileLookupP99Ms) : 'no',
    ],
    ['lookups non-2xx + errors', fmt(failed(r.lookups)), '0', met(failed(r.lookups), (v) => v === 0)],
    ['API CPU ms per lookup', fmt(r.lookups.cpu_ms_per_request, 3), '', ''],
    ['API event-loop delay p99 ms (lookups)', fmt(r.lookups.loop_delay_p99_ms, 1), '', ''],
    [
      `events route served/s (offered ${fmt(r.events.offered_per_s ?? NaN)}/s)`,
      fmt(r.events.requests_per_s),
      '',
      '',
    ],
    ['events route p50 ms', fmt(r.events.p50_ms), '', ''],
    [
      'events route p99 ms',
      fmt(r.events.p99_ms),
      fmt(TARGETS.profileEventsP99Ms),
      met(r.events.p99_ms, (v) => v <= TARGETS.profileEventsP99Ms),
    ],
    ['events route non-2xx + errors', fmt(failed(r.events)), '0', met(failed(r.events), (v) => v === 0)],
  ];
}

export function privacyRows(r: PrivacyBenchResult): Row[] {
  return [
    [`delete requests sent at once (population of ${fmt(r.people)} people)`, fmt(r.subjects), '', ''],
    ['deletes/min', fmt(r.deletesPerMinute, 1), '', ''],
    ['request -> receipt p50 ms', fmt(r.p50Ms), '', ''],
    [
      'request -> receipt p99 ms',
      fmt(r.p99Ms),
      fmt(TARGETS.privacyDeleteP99Ms),
      met(r.p99Ms, (v) => v <= TARGETS.privacyDeleteP99Ms),
    ],
    ...(r.clickhouse === undefined ? [] : [clickhouseRow(r.clickhouse)]),
    ...neighbourRows(r),
  ];
}

/** The mutations the deletes submitted, the parts they rewrote, the queries around them. */
function clickhouseRow(c: ErasureLoad): Row {
  return [
    `ClickHouse mutations (${Object.entries(c.mutations)
      .map(([t, m]) => `${t} ${fmt(m)} of ${fmt(c.parts[t] ?? 0)} parts`)
      .join(
        ', ',
      )}; about ${fmt(c.partRewrites)} part rewrites; ${fmt(c.lookups)} look-ups, ${fmt(c.countQueries)} counts, ${fmt(c.polls)} polls)`,
    fmt(Object.values(c.mutations).reduce((n, m) => n + m, 0)),
    '',
    '',
  ];
}

/** Another tenant's resolver throughput before, during and after the deletes (neighbour-throughput.ts). */
function neighbourRows(r: PrivacyBenchResult): Row[] {
  const n = r.neighbour;
  if (n === undefined) return [];
  return [
    ...n.phases.map((p): Row => [
      `neighbour resolver events/s ${p.label} the deletes (${fmt(p.windows)} windows of ${fmt(n.eventsPerWindow)} events, slowest ${fmt(p.slowestPerSecond)}/s; ${fmt(p.cpuUsPerEvent, 1)} CPU us/event; Redis ${fmt(p.redisCpuShare, 2)} CPU s/s, ${fmt(p.redisScanShare, 2)} s/s in ${fmt(p.redisScans)} SCANs)`,
      fmt(p.perSecond),
      '',
      '',
    ]),
    ...n.phases.flatMap((p): Row[] =>
      p.cpuShare === undefined
        ? []
        : [
            [
              `CPU s/s ${p.label} the deletes (resolver ${fmt(p.cpuShare.resolver, 2)}, bench process ${fmt(p.cpuShare.bench, 2)}, ClickHouse ${fmt(p.cpuShare.clickhouse, 2)}, Redis ${fmt(p.cpuShare.redis, 2)}, Kafka ${fmt(p.cpuShare.kafka, 2)}, other ${fmt(p.cpuShare.other, 2)})`,
              fmt(p.cpuShare.machine, 2),
              '',
              '',
            ],
          ],
    ),
    [
      'neighbour throughput during / before and after the deletes',
      fmt(n.ratio, 2),
      `>= ${fmt(TARGETS.privacyNeighbourRatio, 2)}`,
      met(n.ratio, (v) => v >= TARGETS.privacyNeighbourRatio),
    ],
    ...(n.cpuPerEventRatio === undefined
      ? []
      : [
          [
            'neighbour resolver CPU per event during / before and after the deletes',
            fmt(n.cpuPerEventRatio, 2),
            '',
            '',
          ] as Row,
        ]),
  ];
}
