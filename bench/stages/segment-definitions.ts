// The bench tenant's 20 segments and 10 computed traits, over what the bench population sends:
// track events (Product Viewed/Added, Search Performed, Video Played, Order Completed, Signed In,
// Newsletter Subscribed) with a `source` property, and email/phone traits. `pinged` is for latency.
export const BENCH_COMPUTED_TRAITS = [
  { kind: 'computed_trait', id: 'c_views', event: 'Product Viewed', aggregate: 'count' },
  { kind: 'computed_trait', id: 'c_adds_365', event: 'Product Added', within_days: 365, aggregate: 'count' },
  { kind: 'computed_trait', id: 'c_orders', event: 'Order Completed', aggregate: 'count' },
  {
    kind: 'computed_trait',
    id: 'c_orders_330',
    event: 'Order Completed',
    within_days: 330,
    aggregate: 'count',
  },
  { kind: 'computed_trait', id: 'c_searches', event: 'Search Performed', aggregate: 'count' },
  { kind: 'computed_trait', id: 'c_videos_300', event: 'Video Played', within_days: 300, aggregate: 'count' },
  { kind: 'computed_trait', id: 'c_signins', event: 'Signed In', aggregate: 'count' },
  {
    kind: 'computed_trait',
    id: 'c_first_source',
    event: 'Order Completed',
    aggregate: 'first',
    property: 'source',
  },
  {
    kind: 'computed_trait',
    id: 'c_top_source',
    event: 'Product Viewed',
    aggregate: 'most_frequent',
    property: 'source',
  },
  {
    kind: 'computed_trait',
    id: 'c_sources',
    event: 'Product Viewed',
    aggregate: 'unique_count',
    property: 'source',
  },
];

export const PING_EVENT = 'Bench Ping';
export const PING_SEGMENT = 'pinged';

export const BENCH_SEGMENTS = [
  { id: 'viewers', condition: { event: 'Product Viewed' } },
  { id: 'heavy-viewers', condition: { event: 'Product Viewed', count: { gte: 5 } } },
  { id: 'adders-365', condition: { event: 'Product Added', within_days: 365 } },
  { id: 'buyers', condition: { event: 'Order Completed' } },
  { id: 'repeat-buyers', condition: { event: 'Order Completed', count: { gte: 2 } } },
  { id: 'buyers-330', condition: { event: 'Order Completed', within_days: 330 } },
  { id: 'searchers', condition: { computed: 'c_searches', op: 'gte', value: 3 } },
  { id: 'video-300', condition: { event: 'Video Played', within_days: 300, count: { gte: 2 } } },
  { id: 'has-email', condition: { trait: 'email', op: 'exists' } },
  { id: 'has-phone', condition: { trait: 'phone', op: 'exists' } },
  {
    id: 'email-no-phone',
    condition: {
      and: [
        { trait: 'email', op: 'exists' },
        { trait: 'phone', op: 'not_exists' },
      ],
    },
  },
  { id: 'signed-in', condition: { event: 'Signed In' } },
  { id: 'newsletter', condition: { event: 'Newsletter Subscribed' } },
  { id: 'browsers-not-buyers', condition: { and: [{ segment: 'viewers' }, { not: { segment: 'buyers' } }] } },
  { id: 'engaged', condition: { or: [{ segment: 'heavy-viewers' }, { segment: 'video-300' }] } },
  { id: 'buyers-with-email', condition: { and: [{ segment: 'buyers' }, { trait: 'email', op: 'exists' }] } },
  { id: 'many-views', condition: { computed: 'c_views', op: 'gte', value: 10 } },
  {
    id: 'bench-source',
    condition: {
      event: 'Product Viewed',
      where: [{ property: 'source', op: 'eq', value: 'bench-population' }],
      count: { gte: 3 },
    },
  },
  { id: 'multi-source', condition: { computed: 'c_sources', op: 'gte', value: 1 } },
  { id: PING_SEGMENT, condition: { event: PING_EVENT } },
].map((s) => ({ kind: 'segment', ...s }));
