import {
  activationRows,
  journeyRows,
  privacyRows,
  profileApiRows,
} from '../../../bench/report/capability-rows';
import type { ActivationBenchResult } from '../../../bench/stages/activation-run';
import type { ProfileApiLoadResult } from '../../../bench/stages/profile-api-load';

const row = (rows: string[][], metric: string) => {
  const found = rows.find((r) => r[0]!.startsWith(metric));
  if (!found) throw new Error(`no row ${metric} in ${JSON.stringify(rows)}`);
  return found;
};

const latency = (p99: number) => ({
  rate: 200,
  seconds: 20,
  calls: 4000,
  p50_ms: 30,
  p99_ms: p99,
  max_ms: p99,
});
const activation = (batched: number, soloP99: number, hangP99: number): ActivationBenchResult => ({
  batch1: { batch_size: 1, deliveries: 20000, requests: 20000, seconds: 20, deliveries_per_s: 1000 },
  batch100: { batch_size: 100, deliveries: 100000, requests: 1000, seconds: 10, deliveries_per_s: batched },
  e2e: latency(268),
  solo: latency(soloP99),
  hanging: latency(hangP99),
  isolation: {
    solo_p99_ms: soloP99,
    with_hanging_p99_ms: hangP99,
    ratio: Math.round((hangP99 / soloP99) * 100) / 100,
  },
});

describe('activationRows', () => {
  it('meets the batched rate and isolation targets at their bounds and misses them beyond', () => {
    const ok = activationRows(activation(5000, 200, 220));
    expect(row(ok, 'deliveries/s, batch_size 100')).toEqual([
      'deliveries/s, batch_size 100 (100,000 in 1,000 requests)',
      '5,000',
      '5,000',
      'yes',
    ]);
    expect(row(ok, 'isolation')).toEqual(['isolation: p99 beside a hang / alone', '1.10', '<= 1.10', 'yes']);
    expect(row(ok, 'event -> webhook p99')[3]).toBe('yes');
    const bad = activationRows(activation(4999, 200, 317));
    expect(row(bad, 'deliveries/s, batch_size 100')[3]).toBe('no');
    expect(row(bad, 'isolation')[1]).toBe('1.59');
    expect(row(bad, 'isolation')[3]).toBe('no');
  });

  it('reports a run that received nothing as n/a, not met', () => {
    const rows = activationRows({ ...activation(6000, 200, 210), e2e: latency(NaN) });
    expect(row(rows, 'event -> webhook p99')).toEqual([
      'event -> webhook p99 ms at 200/s',
      'n/a',
      '2,000',
      'no',
    ]);
  });
});

describe('journeyRows', () => {
  it('checks lateness p99 and bytes per waiting instance against their targets', () => {
    const result = {
      profiles: 100000,
      enterPerSecond: 3000,
      bytesPerWaitingInstance: 336,
      latenessP50Ms: 21,
      latenessP99Ms: 1000,
      latenessMaxMs: 1500,
      actionsPerSecond: 1667,
    };
    const rows = journeyRows(result, 60);
    expect(row(rows, 'profiles waiting')).toEqual([
      'profiles waiting on a timer (due over 60 s)',
      '100,000',
      '',
      '',
    ]);
    expect(row(rows, 'Redis bytes')).toEqual(['Redis bytes/waiting instance', '336', '300', 'no']);
    expect(row(rows, 'timer lateness p99')).toEqual(['timer lateness p99 ms', '1,000', '1,000', 'yes']);
    expect(row(journeyRows({ ...result, bytesPerWaitingInstance: 300 }, 60), 'Redis bytes')[3]).toBe('yes');
  });
});

describe('profileApiRows', () => {
  const run = (offered: number | null, p99: number, non2xx = 0) => ({
    offered_per_s: offered,
    requests_per_s: offered ?? 0,
    p50_ms: 2,
    p95_ms: 3,
    p99_ms: p99,
    p999_ms: p99,
    max_ms: p99,
    max_in_flight: 8,
    non_2xx: non2xx,
    errors: 0,
    cpu_ms_per_request: 0.25,
    loop_delay_p99_ms: 1.5,
    loop_delay_max_ms: 3,
    gc_pause_total_ms: 40,
    gc_pause_max_ms: 2,
  });
  it('meets the lookup p99 only at the target rate', () => {
    const at: ProfileApiLoadResult = { lookups: run(2000, 9), events: run(20, 150) };
    expect(row(profileApiRows(at), 'lookup p99')).toEqual(['lookup p99 ms', '9', '10 at 2,000/s', 'yes']);
    expect(row(profileApiRows(at), 'events route p99')[3]).toBe('yes');
    expect(row(profileApiRows(at), 'API CPU ms per lookup')[1]).toBe('0.250');
    const below: ProfileApiLoadResult = { lookups: run(200, 9), events: run(20, 151, 3) };
    expect(row(profileApiRows(below), 'lookup p99')[3]).toBe('no');
    expect(row(profileApiRows(below), 'events route p99')[3]).toBe('no');
    expect(row(profileApiRows(below), 'events route non-2xx')).toEqual([
      'events route non-2xx + errors',
      '3',
      '0',
      'no',
    ]);
  });
});

describe('privacyRows', () => {
  it('checks request -> receipt p99 against 60 s', () => {
    const result = {
      people: 3953,
      subjects: 100,
      deletesPerMinute: 105.6,
      p50Ms: 39000,
      p99Ms: 60000,
      sentAt: 0,
      lastReceiptAt: 60000,
      sample: '',
    };
    expect(privacyRows(result)).toEqual([
      ['delete requests sent at once (population of 3,953 people)', '100', '', ''],
      ['deletes/min', '105.6', '', ''],
      ['request -> receipt p50 ms', '39,000', '', ''],
      ['request -> receipt p99 ms', '60,000', '60,000', 'yes'],
    ]);
    expect(privacyRows({ ...result, p99Ms: 60001 })[3]![3]).toBe('no');
  });

  it('adds the neighbour tenant phases and checks their ratio against 0.90', () => {
    const phase = (label: 'before' | 'during' | 'after', perSecond: number, scans: number) => ({
      label,
      windows: 3,
      perSecond,
      slowestPerSecond: perSecond - 100,
      cpuUsPerEvent: 120.5,
      redisCpuShare: 0.25,
      redisScanShare: scans > 0 ? 0.5 : 0,
      redisScans: scans,
    });
    const neighbour = {
      tenant: 'bench-x-neighbour',
      eventsPerWindow: 15000,
      windows: [],
      phases: [phase('before', 3000, 0), phase('during', 2700, 1200), phase('after', 3000, 0)],
      baselinePerSecond: 3000,
      duringPerSecond: 2700,
      ratio: 0.9,
    };
    const result = {
      people: 3953,
      subjects: 100,
      deletesPerMinute: 472,
      p50Ms: 7000,
      p99Ms: 12700,
      sentAt: 0,
      lastReceiptAt: 12700,
      sample: '',
      neighbour,
    };
    const rows = privacyRows(result);
    expect(rows.slice(4)).toEqual([
      [
        'neighbour resolver events/s before the deletes (3 windows of 15,000 events, slowest 2,900/s; 120.5 CPU us/event; Redis 0.25 CPU s/s, 0.00 s/s in 0 SCANs)',
        '3,000',
        '',
        '',
      ],
      [
        'neighbour resolver events/s during the deletes (3 windows of 15,000 events, slowest 2,600/s; 120.5 CPU us/event; Redis 0.25 CPU s/s, 0.50 s/s in 1,200 SCANs)',
        '2,700',
        '',
        '',
      ],
      [
        'neighbour resolver events/s after the deletes (3 windows of 15,000 events, slowest 2,900/s; 120.5 CPU us/event; Redis 0.25 CPU s/s, 0.00 s/s in 0 SCANs)',
        '3,000',
        '',
        '',
      ],
      ['neighbour throughput during / before and after the deletes', '0.90', '>= 0.90', 'yes'],
    ]);
    expect(privacyRows({ ...result, neighbour: { ...neighbour, ratio: 0.89 } })[7]![3]).toBe('no');
    expect(privacyRows({ ...result, neighbour: { ...neighbour, ratio: NaN } })[7]![3]).toBe('no');
  });

  it('adds what the deletes asked of ClickHouse, where the CPU went, and the CPU per event ratio', () => {
    const cpuShare = {
      resolver: 0.4,
      bench: 0.2,
      clickhouse: 0.8,
      redis: 0.3,
      kafka: 0.05,
      other: 0.2,
      machine: 1.95,
    };
    const rows = privacyRows({
      people: 100000,
      subjects: 100,
      deletesPerMinute: 131.3,
      p50Ms: 44800,
      p99Ms: 45700,
      sentAt: 0,
      lastReceiptAt: 45700,
      sample: '',
      clickhouse: {
        mutations: { events: 4, identities: 2 },
        parts: { events: 8, identities: 3 },
        partRewrites: 38,
        lookups: 4,
        countQueries: 56,
        polls: 62,
      },
      neighbour: {
        tenant: 'bench-x-neighbour',
        eventsPerWindow: 15000,
        windows: [],
        phases: [
          {
            label: 'during',
            windows: 12,
            perSecond: 3483,
            slowestPerSecond: 1909,
            cpuUsPerEvent: 134.2,
            redisCpuShare: 0.34,
            redisScanShare: 0,
            redisScans: 0,
            cpuShare,
          },
        ],
        baselinePerSecond: 3348,
        duringPerSecond: 3483,
        ratio: 1.04,
        cpuPerEventRatio: 0.93,
      },
    });
    expect(rows[4]).toEqual([
      'ClickHouse mutations (events 4 of 8 parts, identities 2 of 3 parts; about 38 part rewrites; 4 look-ups, 56 counts, 62 polls)',
      '6',
      '',
      '',
    ]);
    expect(rows[6]).toEqual([
      'CPU s/s during the deletes (resolver 0.40, bench process 0.20, ClickHouse 0.80, Redis 0.30, Kafka 0.05, other 0.20)',
      '1.95',
      '',
      '',
    ]);
    expect(rows[8]).toEqual([
      'neighbour resolver CPU per event during / before and after the deletes',
      '0.93',
      '',
      '',
    ]);
  });
});
