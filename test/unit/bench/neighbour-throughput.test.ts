import { phaseOf, pooled, rateOf, type NeighbourWindow } from '../../../bench/stages/neighbour-throughput';

describe('rateOf (a window of committed offsets)', () => {
  const samples = [
    { at: 0, done: 0 },
    { at: 1000, done: 0 },
    { at: 2000, done: 500 },
    { at: 3000, done: 1500 },
    { at: 4000, done: 2500 },
  ];

  it('counts from the first commit to the last, leaving out the join and first fetch', () => {
    expect(rateOf(samples)).toEqual({ events: 2000, seconds: 2 });
  });

  it('stops at `until`: a drain that outlasts the deletes is not credited with its quiet tail', () => {
    expect(rateOf(samples, 3500)).toEqual({ events: 1000, seconds: 1 });
  });

  it('has no rate when nothing was committed inside the span', () => {
    expect(rateOf(samples, 2500)).toEqual({ events: 0, seconds: 0 });
    expect(rateOf([{ at: 0, done: 0 }])).toEqual({ events: 0, seconds: 0 });
  });
});

describe('pooled and phaseOf', () => {
  const w = (perSecond: number, seconds: number, scanSeconds: number): NeighbourWindow => ({
    label: 'during',
    events: 3000,
    measuredEvents: Math.round(perSecond * seconds),
    seconds,
    perSecond,
    cpuUsPerEvent: 100,
    wallSeconds: seconds,
    redisCpuSeconds: seconds / 2,
    redisScans: 10,
    redisScanSeconds: scanSeconds,
    redisCommands: {},
  });

  it('weighs windows by their seconds: a slow window of the same events counts for longer', () => {
    // 3,000 events in 1 s and 3,000 in 10 s: 6,000 in 11 s, not the 1,650/s mean of the two rates.
    expect(pooled([w(3000, 1, 0), w(300, 10, 0)])).toBe(545);
    expect(pooled([])).toBeNaN();
  });

  it("shares Redis CPU and SCAN time over the phase's wall time", () => {
    expect(phaseOf('during', [w(1000, 3, 1), w(500, 6, 2), w(800, 1, 0)])).toEqual({
      label: 'during',
      windows: 3,
      perSecond: 680,
      slowestPerSecond: 500,
      cpuUsPerEvent: 100,
      redisCpuShare: 0.5,
      redisScanShare: 0.3,
      redisScans: 30,
    });
  });
});
