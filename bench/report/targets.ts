// The goals `make bench` reports against (stated in the README; never asserted in tests).
export const TARGETS = {
  resolverToPassThrough: 0.5,
  resolverEventsPerSecond: 20_000,
  e2eP99Ms: 2000,
  e2eRate: 5000,
  redisBytesPerIdentifier: 250,
  precision: 1,
  recall: 1,
  importRowsPerSecond: 50_000,
} as const;
