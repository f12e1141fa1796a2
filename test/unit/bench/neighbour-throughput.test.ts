import { rateOf } from '../../../bench/stages/neighbour-throughput';

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
