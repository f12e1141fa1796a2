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
  /** Activation (issue 12): batch_size 100 to a local receiver. */
  activationBatchedDeliveriesPerSecond: 5000,
  activationEventToWebhookP99Ms: 2000,
  /** A healthy destination's p99 beside a hanging one, over its p99 alone. */
  activationIsolationRatio: 1.1,
  /** Journeys (issue 15). */
  journeyLatenessP99Ms: 1000,
  journeyBytesPerWaitingInstance: 300,
  /** Profile API (issue 14): lookups offered at this rate. */
  profileLookupRate: 2000,
  profileLookupP99Ms: 10,
  profileEventsP99Ms: 150,
  /** Privacy (issue 13): request -> receipt of 100 deletes sent at once. */
  privacyDeleteP99Ms: 60_000,
  /** Another tenant's resolver events/s while those deletes run, over its rate without them. */
  privacyNeighbourRatio: 0.9,
} as const;
